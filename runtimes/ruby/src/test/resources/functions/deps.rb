require 'kubeless_dep'

def handler(event, context)
  KubelessDep.shout('deps')
end
