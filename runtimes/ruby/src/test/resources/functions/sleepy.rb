def handler(event, context)
  sleep 0.1
  event[:data]
end
