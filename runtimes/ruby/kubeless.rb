# frozen_string_literal: true

# Kubeless Ruby runtime: serves `def <FUNC_HANDLER>(event, context)` from <MOD_NAME>.rb over HTTP.
#
# The server process speaks HTTP (a thread per connection) and keeps a pool of pre-forked worker
# processes that run the handler, each up to FUNC_CONCURRENCY invocations at once on as many
# threads. When an invocation outlives FUNC_TIMEOUT (counted from its handler's start) its worker is
# killed with SIGKILL, which stops any Ruby or C code it runs (a Thread#raise, as Timeout uses, can be
# rescued or ignored), and a fresh worker is forked in its place, while the server and the other
# workers keep serving. The function is loaded once in the server before forking, so a worker
# starts in milliseconds and shares the loaded code's memory copy-on-write.
#
# Only Ruby's standard library is used (Bundler, which ships with Ruby, only when the function has a
# Gemfile), so local mode needs nothing but ruby.

require 'json'
require 'securerandom'
require 'socket'
require 'stringio'
require 'uri'

$stdout.sync = true
$stderr.sync = true

module Kubeless
  def self.env(name, default = nil)
    value = ENV[name]
    value.nil? || value.empty? ? default : value
  end

  VOLUME = env('KUBELESS_INSTALL_VOLUME', '/kubeless')
  MOD_NAME = env('MOD_NAME', '')
  FUNC_HANDLER = env('FUNC_HANDLER', '')
  TIMEOUT = Float(env('FUNC_TIMEOUT', '180'))
  PORT = Integer(env('FUNC_PORT', '8080'))
  MAX_BODY = (Float(env('REQ_MB_LIMIT', '10')) * 1024 * 1024).to_i
  WORKERS = Integer(env('FUNC_WORKERS', '4'))
  # Invocations one worker runs at once, each on its own thread (Kubeless's Python number).
  CONCURRENCY = Integer(env('FUNC_CONCURRENCY', '10'))
  GEMFILE = env('KUBELESS_DEPS_FILE', File.join(VOLUME, 'Gemfile'))
  # A body over the limit is read and dropped (up to this much) so the client sees the 413.
  MAX_DISCARD = 100 * 1024 * 1024
  # A worker that has not started a job this long after receiving it gets new jobs last.
  STALL = 0.1
  MAX_HEAD = 64 * 1024

  TEXT = 'text/plain; charset=utf-8'
  REASONS = { 200 => 'OK', 400 => 'Bad Request', 404 => 'Not Found', 408 => 'Request Timeout',
              413 => 'Payload Too Large', 500 => 'Internal Server Error' }.freeze
  TIMED_OUT = [408, TEXT, 'Timeout while processing the function'].freeze
  CRASHED = [500, TEXT, 'Internal Server Error'].freeze

  def self.log(message)
    $stderr.write("#{Time.now.utc.strftime('%Y-%m-%dT%H:%M:%S.%6NZ')} #{message}\n")
  end

  def self.now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # A Hash whose symbol keys (Kubeless's) can also be read with strings: event[:data] or
  # event['data'].
  class Event < Hash
    def [](key)
      key.is_a?(String) && !key?(key) ? super(key.to_sym) : super
    end

    def fetch(key, *rest, &block)
      key.is_a?(String) && !key?(key) && key?(key.to_sym) ? super(key.to_sym, *rest, &block) : super
    end

    def dig(key, *rest)
      key.is_a?(String) && !key?(key) ? super(key.to_sym, *rest) : super
    end
  end

  # The function: <MOD_NAME>.rb evaluated in a module of its own, as Kubeless did, so its methods and
  # constants do not leak into the runtime. The module extends itself, so the handler can call the
  # file's other methods.
  module Function
    module_function

    def load
      what = "cannot load #{MOD_NAME}.#{FUNC_HANDLER}"
      path = File.join(VOLUME, "#{MOD_NAME}.rb")
      return [nil, "#{what}: #{path} not found"] unless File.file?(path)

      error = setup_bundle
      return [nil, "#{what}: the Gemfile's dependencies: #{error}"] if error

      # Files next to the function can be required by name (after the standard library and gems).
      $LOAD_PATH.push(VOLUME)
      mod = Module.new
      mod.extend(mod)
      mod.module_eval(File.read(path), path, 1)
      defined = mod.instance_methods(false) + mod.private_instance_methods(false) + mod.singleton_methods(false)
      return [nil, "#{what}: #{MOD_NAME}.rb defines no method #{FUNC_HANDLER}"] unless defined.include?(FUNC_HANDLER.to_sym)

      [mod, nil]
    rescue ScriptError, StandardError => e
      [nil, "#{what}: #{e.class}: #{e.message}"]
    end

    # The gems the install step put into the volume: Bundler sets up the load path from the Gemfile,
    # its lock and the settings install recorded in the volume's .bundle/config (the gems' path).
    # Without a lock (install never ran) the function runs with the gems of the Ruby installation.
    def setup_bundle
      return nil unless File.size?(GEMFILE) && File.exist?("#{GEMFILE}.lock")

      ENV['BUNDLE_GEMFILE'] = GEMFILE
      require 'bundler'
      Bundler.setup
      nil
    rescue ScriptError, StandardError => e
      "#{e.class}: #{e.message}"
    end
  end

  # ------------------------------------------------------------------------------- worker side

  # The HTTP request as event[:extensions][:request]: the Rack::Request accessors Kubeless's Sinatra
  # request offered that functions use most.
  class Request
    attr_reader :request_method, :fullpath, :path, :query_string, :headers, :body, :env, :ip, :scheme

    def initialize(method, target, version, headers, body, peer)
      @request_method = method
      @fullpath = target
      @path, _, @query_string = target.partition('?')
      @headers = headers.to_h { |name, value| [name.downcase, value] }
      @body = StringIO.new(body)
      @ip = peer
      @scheme = 'http'
      @env = { 'REQUEST_METHOD' => method, 'PATH_INFO' => @path, 'QUERY_STRING' => @query_string,
               'REQUEST_URI' => target, 'SERVER_PROTOCOL' => version, 'REMOTE_ADDR' => peer,
               'rack.input' => @body }
      headers.each do |name, value|
        key = name.upcase.tr('-', '_')
        key = "HTTP_#{key}" unless %w[CONTENT_TYPE CONTENT_LENGTH].include?(key)
        @env[key] = @env.key?(key) ? "#{@env[key]}, #{value}" : value
      end
    end

    alias path_info path
    alias method request_method

    def url
      "#{scheme}://#{host_with_port}#{fullpath}"
    end

    def host_with_port
      @headers.fetch('host', 'localhost')
    end

    def host
      host_with_port.sub(/:\d+\z/, '')
    end

    def content_type
      @headers['content-type']
    end

    def media_type
      content_type&.split(';', 2)&.first&.strip&.downcase
    end

    def content_length
      @headers['content-length']
    end

    def user_agent
      @headers['user-agent']
    end

    # A header by its Rack name (HTTP_EVENT_ID, CONTENT_TYPE) or its HTTP name (event-id).
    def get_header(name)
      @env.fetch(name) { @headers[name.to_s.downcase] }
    end

    def params
      @params ||= URI.decode_www_form(@query_string).to_h
    rescue ArgumentError
      @params = {}
    end
    alias GET params

    def [](name)
      params[name.to_s]
    end

    %w[GET POST PUT PATCH DELETE HEAD OPTIONS].each do |verb|
      define_method("#{verb.downcase}?") { @request_method == verb }
    end
  end

  def self.json?(content_type)
    mime = content_type.to_s.split(';', 2).first.to_s.strip.downcase
    mime == 'application/json' || mime.end_with?('+json')
  end

  # The event of one invocation, shaped like Kubeless's; or [status, type, body] for an invalid body.
  def self.event_of(message)
    request = Request.new(*message)
    body = message[4]
    content_type = request.content_type
    if json?(content_type) && !body.empty?
      begin
        data = JSON.parse(body)
      rescue JSON::ParserError
        return [400, TEXT, 'Invalid JSON body']
      end
    else
      data = body.dup.force_encoding(Encoding::UTF_8)
      data.force_encoding(Encoding::BINARY) unless data.valid_encoding?
    end
    headers = request.headers
    event = Event.new
    event[:data] = data
    event[:'event-id'] = headers['event-id'] || SecureRandom.uuid
    event[:'event-type'] = headers['event-type'] || content_type || 'application/octet-stream'
    event[:'event-time'] = headers['event-time'] || Time.now.utc.strftime('%Y-%m-%dT%H:%M:%SZ')
    event[:'event-namespace'] = headers['event-namespace'] || 'http.kubeless.io'
    event[:extensions] = Event[request: request]
    event
  end

  def self.encode(result)
    case result
    when nil then [200, TEXT, '']
    when String
      if result.encoding == Encoding::BINARY
        [200, 'application/octet-stream', result]
      else
        [200, TEXT, result.encode(Encoding::UTF_8)]
      end
    else [200, 'application/json', JSON.generate(result)]
    end
  end

  def self.invoke(function, message)
    event = event_of(message)
    return event if event.is_a?(Array)

    encode(function.send(FUNC_HANDLER, event, Event[CONTEXT]))
  rescue Exception => e # rubocop:disable Lint/RescueException -- even exit or raise of a ScriptError: answer 500
    # The error and where it happened; the request body is never logged.
    log("Function #{MOD_NAME}.#{FUNC_HANDLER} failed: #{e.class}: #{e.message}\n\t#{(e.backtrace || []).join("\n\t")}")
    CRASHED
  end

  # Kubeless's context: symbol keys, the timeout as the string FUNC_TIMEOUT.
  CONTEXT = { 'function-name': FUNC_HANDLER, timeout: env('FUNC_TIMEOUT', '180'),
              runtime: ENV.fetch('FUNC_RUNTIME', ''), 'memory-limit': ENV.fetch('FUNC_MEMORY_LIMIT', '') }.freeze

  # Frames between the server and a worker: a 4-byte length, then a Marshal dump.
  module Frames
    module_function

    def write(io, frame)
      data = Marshal.dump(frame)
      io.write([data.bytesize].pack('N'), data)
    end

    def read(io)
      header = io.read(4)
      return nil if header.nil? || header.bytesize < 4

      data = io.read(header.unpack1('N'))
      Marshal.load(data) # rubocop:disable Security/MarshalLoad -- our own frames over a socketpair
    end
  end

  # A worker's whole life: reads [id, message] frames and runs each on one of CONCURRENCY threads.
  # It reports [id, :start] just before the handler runs, so the server times the handler, not the
  # wait for a thread, then [id, [status, type, body]].
  def self.worker_main(sock, function)
    out = Mutex.new
    reply = ->(frame) { out.synchronize { Frames.write(sock, frame) } }
    jobs = Queue.new
    CONCURRENCY.times do
      Thread.new do
        while (job = jobs.pop)
          id, message = job
          reply.call([id, :start])
          reply.call([id, invoke(function, message)])
        end
      rescue IOError, SystemCallError
        exit!(0) # the server is gone
      end
    end
    while (frame = Frames.read(sock))
      jobs << frame
    end
    exit!(0)
  rescue IOError, SystemCallError
    exit!(0)
  end

  # ------------------------------------------------------------------------------- server side

  # Prometheus counters and histogram, labelled by HTTP method.
  class Metrics
    BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0].freeze

    def initialize
      @lock = Mutex.new
      @calls = Hash.new(0)
      @failures = Hash.new(0)
      @durations = {}
    end

    def observe(method, seconds, failed)
      @lock.synchronize do
        @calls[method] += 1
        @failures[method] += failed ? 1 : 0
        buckets, = histogram = (@durations[method] ||= [Array.new(BUCKETS.size, 0), 0.0, 0])
        BUCKETS.each_with_index { |bound, i| buckets[i] += 1 if seconds <= bound }
        histogram[1] += seconds
        histogram[2] += 1
      end
    end

    def render
      @lock.synchronize do
        lines = ['# HELP function_calls_total Number of calls to user function',
                 '# TYPE function_calls_total counter']
        @calls.each { |m, n| lines << %(function_calls_total{method="#{m}"} #{n}) }
        lines << '# HELP function_failures_total Number of exceptions in user function'
        lines << '# TYPE function_failures_total counter'
        @failures.each { |m, n| lines << %(function_failures_total{method="#{m}"} #{n}) }
        lines << '# HELP function_duration_seconds Duration of user function in seconds'
        lines << '# TYPE function_duration_seconds histogram'
        @durations.each do |m, (buckets, sum, count)|
          BUCKETS.zip(buckets) { |bound, n| lines << %(function_duration_seconds_bucket{method="#{m}",le="#{bound}"} #{n}) }
          lines << %(function_duration_seconds_bucket{method="#{m}",le="+Inf"} #{count})
          lines << %(function_duration_seconds_sum{method="#{m}"} #{sum})
          lines << %(function_duration_seconds_count{method="#{m}"} #{count})
        end
        "#{lines.join("\n")}\n"
      end
    end
  end

  # The server's end of one worker process and the invocations it holds.
  Worker = Struct.new(:pid, :sock, :jobs, :unstarted, :outbox, :killed)

  # One invocation: its message, the worker it was handed to and when, when its handler started,
  # and its reply. Guarded by the pool's lock; `signal` wakes the request thread waiting for it.
  Job = Struct.new(:message, :signal, :worker, :handed_at, :started_at, :reply)

  # Pre-forked workers, each running up to CONCURRENCY invocations at once.
  #
  # An invocation's FUNC_TIMEOUT runs from its handler's start (the worker says so), not while it
  # waits for a free slot; the request thread waiting for the reply is its timer. A worker is killed
  # and replaced when one of its invocations outlives its timeout, or when it does not even start an
  # invocation within FUNC_TIMEOUT (it is stuck); every invocation it held then gets a 408, and the
  # other workers keep serving.
  #
  # Forks happen under the pool's lock, which also guards `owned`, the server's sockets (listener,
  # connections, other workers' ends) a new worker closes: a worker must not hold a connection open
  # after the server closed it, nor keep the port or another worker's socket.
  class Pool
    attr_reader :lock, :owned

    def initialize(function, listener)
      @function = function
      @lock = Mutex.new
      @owned = [listener]
      @workers = []
      @waiting = []
      @next_id = 0
    end

    def start
      @lock.synchronize { WORKERS.times { spawn } }
    end

    # From a signal handler (no lock there): the workers go with the server.
    def stop
      @workers.each do |worker|
        Process.kill(:KILL, worker.pid)
      rescue Errno::ESRCH
        nil
      end
    end

    # Runs one invocation; returns [status, content type, body].
    def invoke(message)
      job = Job.new(message, ConditionVariable.new)
      @lock.synchronize do
        @waiting << job
        dispatch
        until job.reply
          unless job.worker
            job.signal.wait(@lock)
            next
          end
          remaining = (job.started_at || job.handed_at) + TIMEOUT - Kubeless.now
          if remaining <= 0
            timed_out(job)
          else
            job.signal.wait(@lock, remaining)
          end
        end
      ensure
        @waiting.delete(job)
      end
      job.reply
    end

    private

    def timed_out(job)
      worker = job.worker
      if job.started_at
        Kubeless.log("Function #{MOD_NAME}.#{FUNC_HANDLER} timed out after #{format('%g', TIMEOUT)}s; killing " \
                     "worker #{worker.pid} and the #{worker.jobs.size} invocations it held")
      else
        Kubeless.log("Worker #{worker.pid} did not start an invocation within #{format('%g', TIMEOUT)}s; " \
                     "killing it and the #{worker.jobs.size} invocations it held")
      end
      retire(worker, TIMED_OUT)
    end

    # Under the lock: forks a worker and starts the threads that talk to it.
    def spawn
      parent, child = UNIXSocket.pair
      pid = fork do
        %w[TERM INT].each { |sig| trap(sig, 'DEFAULT') }
        (@owned + @workers.map(&:sock) + [parent]).each { |io| io.close unless io.closed? }
        Kubeless.worker_main(child, @function)
      end
      child.close
      Process.detach(pid)
      worker = Worker.new(pid, parent, {}, [], Queue.new, false)
      @workers << worker
      Thread.new { write_frames(worker) }
      Thread.new { read_frames(worker) }
      dispatch
    end

    def write_frames(worker)
      while (frame = worker.outbox.pop)
        Frames.write(worker.sock, frame)
      end
    rescue IOError, SystemCallError
      nil # the reader sees the worker go
    end

    def read_frames(worker)
      while (frame = Frames.read(worker.sock))
        id, reply = frame
        @lock.synchronize do
          job = worker.jobs[id]
          next unless job

          if reply == :start
            worker.unstarted.shift
            job.started_at = Kubeless.now
          else
            worker.jobs.delete(id)
            job.reply = reply
            dispatch
          end
          job.signal.signal
        end
      end
      raise EOFError
    rescue IOError, SystemCallError
      @lock.synchronize do
        unless worker.killed
          Kubeless.log("Worker #{worker.pid} died while running #{MOD_NAME}.#{FUNC_HANDLER}")
          retire(worker, CRASHED)
        end
      end
    end

    # Under the lock: kills a worker, answers the invocations it held with `reply`, forks a new one.
    def retire(worker, reply)
      worker.killed = true
      begin
        Process.kill(:KILL, worker.pid)
      rescue Errno::ESRCH
        nil
      end
      worker.outbox.close
      worker.sock.close
      @workers.delete(worker)
      worker.jobs.each_value do |job|
        job.reply = reply
        job.signal.signal
      end
      worker.jobs.clear
      spawn
    end

    # Under the lock: hands waiting jobs to the workers with a free slot, least busy first. A worker
    # that has not started a job it was given STALL seconds ago (it is stuck) comes last; then one
    # with jobs not started yet.
    def dispatch
      now = Kubeless.now
      until @waiting.empty?
        free = @workers.select { |w| w.jobs.size < CONCURRENCY }
        break if free.empty?

        worker = free.min_by do |w|
          [w.unstarted.any? && now - w.unstarted.first > STALL ? 1 : 0, w.unstarted.size, w.jobs.size]
        end
        job = @waiting.shift
        id = (@next_id += 1)
        worker.jobs[id] = job
        worker.unstarted << now
        job.worker = worker
        job.handed_at = now
        job.signal.signal
        worker.outbox << [id, job.message]
      end
    end
  end

  # An HTTP/1.1 server with keep-alive, a thread per connection.
  class Server
    BadRequest = Class.new(StandardError)

    def initialize(listener, pool, load_error)
      @listener = listener
      @pool = pool
      @load_error = load_error
      @metrics = Metrics.new
    end

    def run
      loop do
        @listener.wait_readable
        # Accepted under the pool's lock, so a worker forked now knows to close this connection.
        conn = @pool.lock.synchronize do
          accepted = @listener.accept_nonblock(exception: false)
          @pool.owned << accepted unless accepted == :wait_readable
          accepted
        end
        next if conn == :wait_readable

        Thread.new(conn) { |c| serve(c) }
      end
    end

    private

    def serve(conn)
      conn.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
      peer = conn.remote_address.ip_address
      while serve_one(conn, peer)
        # next request on this connection
      end
    rescue IOError, SystemCallError
      nil
    rescue BadRequest, ArgumentError
      conn.write(head(400, TEXT, 11, false, 'HTTP/1.1'), 'Bad Request') rescue nil # rubocop:disable Style/RescueModifier
    ensure
      @pool.lock.synchronize do
        @pool.owned.delete(conn)
        conn.close
      end
    end

    # Serves one request; returns whether the connection stays open.
    def serve_one(conn, peer)
      line = conn.gets("\r\n", MAX_HEAD)
      line = conn.gets("\r\n", MAX_HEAD) while line == "\r\n" # tolerated before a request line
      return false unless line

      method, target, version = line.chomp("\r\n").split(' ', 3)
      raise BadRequest unless version&.start_with?('HTTP/1.')

      headers = read_headers(conn)
      lookup = headers.to_h { |name, value| [name.downcase, value] }
      connection = lookup.fetch('connection', '').downcase
      keep_alive = version == 'HTTP/1.1' ? connection != 'close' : connection == 'keep-alive'
      chunked = lookup.fetch('transfer-encoding', '').downcase.include?('chunked')
      length = chunked ? 0 : Integer(lookup.fetch('content-length', '0'), 10)
      raise BadRequest if length.negative?

      started = Kubeless.now
      if length > MAX_BODY
        reject_too_large(conn, length, lookup)
        access(peer, method, target, version, 413, started, 22)
        return false
      end
      conn.write("HTTP/1.1 100 Continue\r\n\r\n") if lookup['expect']&.downcase == '100-continue'
      body = chunked ? read_chunked(conn) : read_body(conn, length)
      unless body
        respond(conn, method, [413, TEXT, 'Request body too large'], false, version)
        access(peer, method, target, version, 413, started, 22)
        return false
      end

      path = target.split('?', 2).first
      if method == 'GET' && path == '/healthz'
        reply = @load_error ? [500, TEXT, @load_error] : [200, TEXT, 'OK']
      elsif method == 'GET' && path == '/metrics'
        reply = [200, 'text/plain; version=0.0.4; charset=utf-8', @metrics.render]
      else
        reply = call([method, target, version, headers, body, peer])
        access(peer, method, target, version, reply[0], started, reply[2].bytesize)
      end
      respond(conn, method, reply, keep_alive, version)
      keep_alive
    end

    def read_headers(conn)
      headers = []
      size = 0
      loop do
        line = conn.gets("\r\n", MAX_HEAD) or raise EOFError
        size += line.bytesize
        raise BadRequest if size > MAX_HEAD || !line.end_with?("\r\n")
        break if line == "\r\n"

        name, value = line.chomp("\r\n").split(':', 2)
        raise BadRequest unless value

        headers << [name.strip, value.strip]
      end
      headers
    end

    def read_body(conn, length)
      return +'' if length.zero?

      body = conn.read(length)
      raise EOFError unless body && body.bytesize == length

      body
    end

    # The chunked body, or nil once it outgrows REQ_MB_LIMIT.
    def read_chunked(conn)
      body = String.new(encoding: Encoding::BINARY)
      loop do
        size_line = conn.gets("\r\n", MAX_HEAD) or raise EOFError
        size = Integer(size_line.split(';', 2).first.strip, 16)
        if size.zero?
          loop { (conn.gets("\r\n", MAX_HEAD) or raise EOFError) == "\r\n" and break } # trailers
          return body
        end
        return nil if body.bytesize + size > MAX_BODY

        chunk = conn.read(size + 2)
        raise EOFError unless chunk && chunk.bytesize == size + 2

        body << chunk.byteslice(0, size)
      end
    rescue ArgumentError
      raise BadRequest
    end

    # Without "Expect: 100-continue" the client sends the body anyway: drop it, then answer, so the
    # client reads the 413 instead of a reset connection.
    def reject_too_large(conn, length, lookup)
      if lookup['expect']&.downcase != '100-continue' && length <= MAX_DISCARD
        while length.positive?
          chunk = conn.readpartial([length, 1 << 20].min)
          length -= chunk.bytesize
        end
      end
      conn.write(head(413, TEXT, 22, false, 'HTTP/1.1'), 'Request body too large')
    rescue EOFError
      nil
    end

    def call(message)
      started = Kubeless.now
      if @load_error
        Kubeless.log("Function not loaded: #{@load_error}")
        reply = CRASHED
      else
        reply = @pool.invoke(message)
      end
      @metrics.observe(message[0], Kubeless.now - started, [408, 500].include?(reply[0]))
      reply
    end

    def respond(conn, method, reply, keep_alive, version)
      status, type, body = reply
      head = head(status, type, body.bytesize, keep_alive, version)
      method == 'HEAD' ? conn.write(head) : conn.write(head, body)
    end

    def head(status, type, length, keep_alive, version)
      connection = if !keep_alive then "Connection: close\r\n"
                   elsif version == 'HTTP/1.0' then "Connection: keep-alive\r\n"
                   else ''
                   end
      "HTTP/1.1 #{status} #{REASONS.fetch(status, 'Unknown')}\r\nContent-Type: #{type}\r\n" \
        "Content-Length: #{length}\r\n#{connection}\r\n"
    end

    # One line per invocation: Common Log Format plus the duration in seconds.
    def access(peer, method, target, version, status, started, bytes = 0)
      request = "#{method} #{target} #{version}".gsub(/[^ -~]|"/) { |c| format('\\x%02X', c.ord) }
      time = Time.now.utc.strftime('%d/%b/%Y:%H:%M:%S +0000')
      $stdout.write("#{peer} - - [#{time}] \"#{request}\" #{status} #{bytes} #{format('%.4f', Kubeless.now - started)}\n")
    end
  end

  def self.main
    function, load_error = Function.load
    log(load_error) if load_error
    listener = TCPServer.new('0.0.0.0', PORT)
    listener.listen(1024)
    pool = Pool.new(function, listener)
    pool.start if function
    %w[TERM INT].each do |sig|
      trap(sig) do
        pool.stop
        exit!(0)
      end
    end
    log("Serving #{MOD_NAME}.#{FUNC_HANDLER} on port #{PORT} with #{WORKERS} workers of #{CONCURRENCY} " \
        "invocations each, timeout #{format('%g', TIMEOUT)}s")
    Server.new(listener, pool, load_error).run
  end
end

Kubeless.main if $PROGRAM_NAME == __FILE__
