def handler(event, context)
  "missing end"
