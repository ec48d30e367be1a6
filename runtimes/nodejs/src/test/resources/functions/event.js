module.exports = {
  handler: (event, context) => JSON.stringify({
    'event-id': event['event-id'],
    'event-type': event['event-type'],
    'event-time': event['event-time'],
    'event-namespace': event['event-namespace'],
    method: event.extensions.request.method,
    path: event.extensions.request.path,
    ...context,
  }),
};
