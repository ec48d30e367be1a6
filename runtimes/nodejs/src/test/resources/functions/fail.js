module.exports = {
  handler: async (event, context) => {
    throw new Error('intentional failure');
  },
};
