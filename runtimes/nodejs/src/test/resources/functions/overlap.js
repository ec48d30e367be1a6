module.exports = {
  handler: async (event, context) => {
    const start = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return `${start} ${Date.now()}`;
  },
};
