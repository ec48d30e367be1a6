def handler(event, context)
  "hello world"
end
