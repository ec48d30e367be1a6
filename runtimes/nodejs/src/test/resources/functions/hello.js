module.exports = {
  handler: (event, context) => 'hello world',
};
