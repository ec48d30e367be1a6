// Sets the status and a header on event.extensions.response and returns the body, or (?send=1)
// answers with Express's res.json itself and returns nothing.
module.exports = {
  handler: (event, context) => {
    const { request, response } = event.extensions;
    if (request.query.send) {
      response.status(202).json({ sent: 'by res.json' });
      return undefined;
    }
    response.status(201).set('X-Created', 'yes');
    return { created: true };
  },
};
