module.exports = {
  handler: (event, context) => {
    return 'missing brace';
};
