TICKS = File.join(ENV['KUBELESS_INSTALL_VOLUME'], 'ticks')

def handler(event, context)
  return 'ok' unless event[:data] == 'spin'

  n = 0
  loop do # runs until the runtime stops it
    n += 1
    File.write(TICKS, n.to_s) if (n % 100_000).zero?
  end
end
