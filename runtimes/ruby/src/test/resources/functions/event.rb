require 'json'

def handler(event, context)
  request = event[:extensions][:request]
  JSON.generate({
    'event-id': event[:'event-id'],
    'event-type': event[:'event-type'],
    'event-time': event[:'event-time'],
    'event-namespace': event[:'event-namespace'],
    method: request.request_method,
    path: request.path,
    **context,
  })
end
