require 'kubeless_remote'

def handler(event, context)
  KubelessRemote.greeting
end
