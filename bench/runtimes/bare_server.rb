# frozen_string_literal: true

# A bare hello-world HTTP/1.1 server on Ruby's socket library, a thread per connection: the Ruby
# runtime's own server design without the runtime.
require 'socket'

RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\n\r\nhello world"

def serve(conn)
  conn.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
  while conn.gets("\r\n")
    length = 0
    while (line = conn.gets("\r\n")) && line != "\r\n"
      length = line.split(':', 2)[1].to_i if line.downcase.start_with?('content-length:')
    end
    conn.read(length) if length.positive?
    conn.write(RESPONSE)
  end
rescue IOError, SystemCallError
  nil
ensure
  conn.close
end

server = TCPServer.new('0.0.0.0', Integer(ENV.fetch('FUNC_PORT', '8080')))
server.listen(1024)
loop { Thread.new(server.accept) { |conn| serve(conn) } }
