module.exports = {
  // an I/O-bound handler: 100 ms waiting on the event loop (a database, an HTTP call)
  handler: async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return 'done';
  },
};
