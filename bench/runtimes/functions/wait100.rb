# An I/O-bound handler: a blocking 100 ms wait (a database, an HTTP call).
def handler(event, context)
  sleep 0.1
  'done'
end
