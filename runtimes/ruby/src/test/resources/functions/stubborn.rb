TICKS = File.join(ENV['KUBELESS_INSTALL_VOLUME'], 'ticks')

# Swallows every exception a runtime could raise in its thread (Timeout::Error, Thread#kill's
# cleanup aside): only stopping the process stops it.
def handler(event, context)
  return 'ok' unless event[:data] == 'spin'

  n = 0
  begin
    loop do
      n += 1
      File.write(TICKS, n.to_s) if (n % 100_000).zero?
    end
  rescue Exception # rubocop:disable Lint/RescueException
    retry
  ensure
    loop { n += 1; File.write(TICKS, n.to_s) if (n % 100_000).zero? } # rubocop:disable Style/Semicolon
  end
end
