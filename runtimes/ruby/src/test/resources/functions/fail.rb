def handler(event, context)
  raise "intentional failure"
end
