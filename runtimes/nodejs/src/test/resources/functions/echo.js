module.exports = {
  handler: (event, context) => event.data,
};
