require 'json'

GREETING = 'hi'

def helper(name)
  "#{GREETING} #{name}"
end

# Reports what Kubeless's Ruby functions rely on: symbol keys (strings read too), the Rack-like
# request, the context, and helpers and constants of the same file.
def handler(event, context)
  request = event[:extensions][:request]
  JSON.generate(
    event_keys: event.keys,
    data: event[:data],
    data_by_string: event['data'],
    request_by_dig: event.dig('extensions', 'request').equal?(request),
    context_keys: context.keys,
    timeout: context[:timeout],
    method: request.request_method,
    path: request.path_info,
    query: request.params,
    fullpath: request.fullpath,
    header: request.get_header('HTTP_X_TRACE'),
    content_type: request.content_type,
    body: request.body.read,
    helper: helper('there')
  )
end
