module.exports = {
  handler: async (event, context) => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return event.data;
  },
};
