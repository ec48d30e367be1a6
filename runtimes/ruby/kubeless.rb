# frozen_string_literal: true

# Kubeless Ruby runtime: serves `def <FUNC_HANDLER>(event, context)` from <MOD_NAME>.rb over HTTP.
#
# The server process speaks HTTP (one thread, an IO.select loop) and keeps a pool of pre-forked worker
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

  VOLUME = File.expand_path(env('KUBELESS_INSTALL_VOLUME', '/kubeless'))
  MOD_NAME = env('MOD_NAME', '')
  FUNC_HANDLER = env('FUNC_HANDLER', '')
  TIMEOUT = Float(env('FUNC_TIMEOUT', '180'))
  PORT = Integer(env('FUNC_PORT', '8080'))
  MAX_BODY = (Float(env('REQ_MB_LIMIT', '10')) * 1024 * 1024).to_i
  WORKERS = [Integer(env('FUNC_WORKERS', '4')), 1].max
  # Invocations one worker runs at once, each on its own thread (Kubeless's Python number).
  CONCURRENCY = [Integer(env('FUNC_CONCURRENCY', '10')), 1].max
  GEMFILE = File.expand_path(env('KUBELESS_DEPS_FILE', File.join(VOLUME, 'Gemfile')))
  # A body over the limit is read and dropped (up to this much) so the client sees the 413.
  MAX_DISCARD = 100 * 1024 * 1024
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
    # its lock and the settings install recorded in .bundle/config next to them (the gems' path).
    # Without a lock (install never ran) the function runs with the gems of the Ruby installation.
    def setup_bundle
      return nil unless File.size?(GEMFILE) && File.exist?("#{GEMFILE}.lock")

      ENV['BUNDLE_GEMFILE'] = GEMFILE
      ENV['BUNDLE_APP_CONFIG'] = File.join(File.dirname(GEMFILE), '.bundle') # where install wrote it
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

    # The query's parameters.
    def GET # rubocop:disable Naming/MethodName -- Rack's name
      @get ||= Request.decode(@query_string)
    end

    # A form body's parameters (application/x-www-form-urlencoded), as Rack parses them.
    def POST # rubocop:disable Naming/MethodName -- Rack's name
      @post ||= media_type == 'application/x-www-form-urlencoded' ? Request.decode(@body.string) : {}
    end

    def params
      @params ||= self.GET.merge(self.POST)
    end

    def self.decode(form)
      URI.decode_www_form(form.dup.force_encoding(Encoding::UTF_8)).to_h
    rescue ArgumentError
      {}
    end

    def [](name)
      params[name.to_s]
    end

    # Short, so that `puts event` does not print every header (Authorization...) to the log.
    def inspect
      "#<#{self.class} #{@request_method} #{@fullpath}>"
    end
    alias to_s inspect

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
      # A plain String either way: a subclass or singleton methods would not cross to the server.
      if result.encoding == Encoding::BINARY
        [200, 'application/octet-stream', String.new(result)]
      else
        [200, TEXT, String.new(result.encode(Encoding::UTF_8))]
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

  # A worker's whole life: CONCURRENCY threads take turns reading [id, message] frames, and each
  # runs the invocation it read and answers [id, [status, type, body]]. The server never hands a
  # worker more than CONCURRENCY invocations, so a frame always finds a free thread.
  def self.worker_main(sock, function)
    inbox = Mutex.new
    out = Mutex.new
    threads = Array.new(CONCURRENCY) do
      Thread.new do
        while (frame = inbox.synchronize { Frames.read(sock) })
          id, message = frame
          reply = invoke(function, message)
          out.synchronize { Frames.write(sock, [id, reply]) }
        end
        exit!(0) # the server is gone
      rescue IOError, SystemCallError
        exit!(0)
      end
    end
    threads.each(&:join)
  end

  # ------------------------------------------------------------------------------- server side

  # Prometheus counters and histogram, labelled by HTTP method.
  class Metrics
    BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0].freeze

    def initialize
      @calls = Hash.new(0)
      @failures = Hash.new(0)
      @durations = {}
    end

    def observe(method, seconds, failed)
      @calls[method] += 1
      @failures[method] += failed ? 1 : 0
      buckets, = histogram = (@durations[method] ||= [Array.new(BUCKETS.size, 0), 0.0, 0])
      BUCKETS.each_with_index { |bound, i| buckets[i] += 1 if seconds <= bound }
      histogram[1] += seconds
      histogram[2] += 1
    end

    def render
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

  # The server's end of one worker process: the invocations it holds, and its frames in and out.
  Worker = Struct.new(:pid, :sock, :jobs, :input, :output, :killed)

  # One client connection: bytes in and out, the request it waits an answer for, and whether to
  # close it once its output is written.
  Conn = Struct.new(:io, :peer, :input, :output, :job, :closing, :discard, :continued)

  # One invocation on its way through a worker: the connection to answer, what the access log and
  # metrics need, and when it was handed to the worker (its FUNC_TIMEOUT runs from then).
  Job = Struct.new(:conn, :method, :target, :version, :keep_alive, :started, :message, :handed_at)

  # The server process: one thread, an IO.select loop over the listener, the client connections and
  # the workers' sockets, so an invocation crosses no thread hand-off (nor Ruby's global lock) here.
  #
  # Workers are pre-forked; each runs up to CONCURRENCY invocations at once on its own threads, and
  # is never handed more, so an invocation's handler starts as soon as it is handed over: its
  # FUNC_TIMEOUT runs from then, not while it waited here for a free slot. When an invocation
  # outlives it, its worker is killed (SIGKILL) and replaced, and every invocation it held gets a
  # 408; the connections stay open and the other workers keep serving.
  class Server
    BadRequest = Class.new(StandardError)

    def initialize(listener, function, load_error)
      @listener = listener
      @function = function
      @load_error = load_error
      @metrics = Metrics.new
      @conns = {}       # io -> Conn
      @workers = {}     # socket -> Worker
      @waiting = []     # jobs waiting for a free slot, oldest first
      @next_id = 0
    end

    def run
      WORKERS.times { spawn } if @function
      loop do
        readers = [@listener]
        writers = []
        @conns.each_value do |conn|
          readers << conn.io unless conn.job || (conn.closing && !conn.discard.positive?)
          writers << conn.io unless conn.output.empty?
        end
        @workers.each_value do |worker|
          readers << worker.sock
          writers << worker.sock unless worker.output.empty?
        end
        ready = IO.select(readers, writers, nil, next_deadline)
        ready&.[](1)&.each { |io| flush(@conns[io] || @workers[io]) }
        ready&.[](0)&.each do |io|
          if io == @listener then accept
          elsif (conn = @conns[io]) then receive(conn)
          elsif (worker = @workers[io]) then receive_frames(worker)
          end
        end
        expire
      end
    end

    # From a signal handler: the workers go with the server.
    def stop
      @workers.each_value do |worker|
        Process.kill(:KILL, worker.pid)
      rescue Errno::ESRCH
        nil
      end
    end

    private

    # ---------------------------------------------------------------------------- workers

    def spawn
      parent, child = UNIXSocket.pair
      pid = fork do
        # A worker must not keep the port, a connection the server closes, or another worker's
        # socket open; nor exit through the server's signal handlers.
        %w[TERM INT].each { |sig| trap(sig, 'DEFAULT') }
        ([@listener, parent] + @conns.keys + @workers.keys).each(&:close)
        Kubeless.worker_main(child, @function)
      end
      child.close
      Process.detach(pid)
      @workers[parent] = Worker.new(pid, parent, {}, binary, binary, false)
      dispatch
    end

    # Kills a worker, answers the invocations it held with `reply`, and forks a new one.
    def retire(worker, reply)
      worker.killed = true
      begin
        Process.kill(:KILL, worker.pid)
      rescue Errno::ESRCH
        nil
      end
      @workers.delete(worker.sock)
      worker.sock.close
      jobs = worker.jobs.values
      worker.jobs.clear
      jobs.each { |job| finish(job, reply) }
      spawn
    end

    # Hands waiting jobs to the least busy workers with a free slot.
    def dispatch
      until @waiting.empty?
        worker = @workers.each_value.select { |w| w.jobs.size < CONCURRENCY }.min_by { |w| w.jobs.size }
        break unless worker

        job = @waiting.shift
        id = (@next_id += 1)
        worker.jobs[id] = job
        job.handed_at = Kubeless.now
        message = job.message
        job.message = nil
        data = Marshal.dump([id, message])
        worker.output << [data.bytesize].pack('N') << data
        flush(worker)
      end
    end

    def receive_frames(worker)
      chunk = worker.sock.read_nonblock(1 << 16, exception: false)
      return if chunk == :wait_readable
      raise EOFError if chunk.nil?

      input = worker.input << chunk
      offset = 0
      while input.bytesize - offset >= 4
        size = input.byteslice(offset, 4).unpack1('N')
        break if input.bytesize - offset - 4 < size

        id, reply = Marshal.load(input.byteslice(offset + 4, size)) # rubocop:disable Security/MarshalLoad
        offset += 4 + size
        job = worker.jobs.delete(id)
        finish(job, reply) if job
      end
      worker.input = input.byteslice(offset..) if offset.positive?
      dispatch
    rescue IOError, SystemCallError
      return if worker.killed

      Kubeless.log("Worker #{worker.pid} died while running #{MOD_NAME}.#{FUNC_HANDLER}")
      retire(worker, CRASHED)
    end

    def next_deadline
      handed = @workers.each_value.flat_map { |w| w.jobs.each_value.map(&:handed_at) }.min
      handed && [handed + TIMEOUT - Kubeless.now, 0].max
    end

    def expire
      now = Kubeless.now
      @workers.values.each do |worker|
        next unless worker.jobs.each_value.any? { |job| job.handed_at + TIMEOUT <= now }

        Kubeless.log("Function #{MOD_NAME}.#{FUNC_HANDLER} timed out after #{format('%g', TIMEOUT)}s; killing " \
                     "worker #{worker.pid} and the #{worker.jobs.size} invocations it held")
        retire(worker, TIMED_OUT)
      end
    end

    # ---------------------------------------------------------------------------- connections

    def accept
      64.times do
        io = @listener.accept_nonblock(exception: false)
        return if io == :wait_readable

        begin
          io.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
          @conns[io] = Conn.new(io, io.remote_address.ip_address, binary, binary, nil, false, 0, false)
        rescue SystemCallError
          io.close # gone already
        end
      end
    end

    def receive(conn)
      chunk = conn.io.read_nonblock(1 << 16, exception: false)
      return if chunk == :wait_readable
      return close(conn) if chunk.nil?

      if conn.discard.positive? # the rest of a body over the limit
        conn.discard -= chunk.bytesize
        close(conn) if !conn.discard.positive? && conn.output.empty?
        return
      end
      conn.input << chunk
      serve(conn)
    rescue IOError, SystemCallError
      close(conn)
    end

    # Serves the requests buffered on a connection, one at a time.
    def serve(conn)
      while !conn.job && !conn.closing && (request = parse(conn))
        handle(conn, *request)
      end
    rescue BadRequest, ArgumentError
      conn.input = binary
      respond(conn, 'GET', [400, TEXT, 'Bad Request'], false)
    end

    # The next complete request on the connection, or nil until it has arrived.
    def parse(conn)
      input = conn.input
      input.slice!(0, 2) while input.start_with?("\r\n") # tolerated before a request line
      head_end = input.index("\r\n\r\n")
      unless head_end
        raise BadRequest if input.bytesize > MAX_HEAD

        return nil
      end
      head = input.byteslice(0, head_end).force_encoding(Encoding::UTF_8)
      lines = (head.valid_encoding? ? head : head.scrub).split("\r\n")
      method, target, version = lines.shift.split(' ', 3)
      raise BadRequest unless target && version&.start_with?('HTTP/1.')

      headers = lines.map do |line|
        name, value = line.split(':', 2)
        raise BadRequest unless value

        [name.strip, value.strip]
      end
      lookup = headers.to_h { |name, value| [name.downcase, value] }
      body_start = head_end + 4
      started = Kubeless.now
      if lookup.fetch('transfer-encoding', '').downcase.include?('chunked')
        body, consumed = dechunk(input, body_start)
        if body.nil? && consumed.nil?
          continue(conn, lookup)
          return nil
        end
      else
        length = Integer(lookup.fetch('content-length', '0'), 10)
        raise BadRequest if length.negative?

        if length > MAX_BODY
          too_large(conn, method, target, version, started, lookup, input.bytesize - body_start, length)
          return nil
        end
        if input.bytesize - body_start < length
          continue(conn, lookup)
          return nil
        end
        body = input.byteslice(body_start, length)
        consumed = body_start + length
      end
      unless body
        too_large(conn, method, target, version, started, lookup, 0, 0)
        return nil
      end
      conn.input = input.byteslice(consumed..)
      conn.continued = false
      [method, target, version, headers, lookup, body, started]
    end

    # The chunked body starting at `from` and where it ends; nil, nil until it has all arrived;
    # nil, offset once it outgrows REQ_MB_LIMIT.
    def dechunk(input, from)
      body = binary
      at = from
      loop do
        line_end = input.index("\r\n", at) or return [nil, nil]
        size = Integer(input.byteslice(at, line_end - at).split(';', 2).first.strip, 16)
        at = line_end + 2
        if size.zero?
          loop do # trailers, up to the empty line
            trailer_end = input.index("\r\n", at) or return [nil, nil]
            empty = trailer_end == at
            at = trailer_end + 2
            return [body, at] if empty
          end
        end
        return [nil, at] if body.bytesize + size > MAX_BODY
        return [nil, nil] if input.bytesize < at + size + 2

        body << input.byteslice(at, size)
        at += size + 2
      end
    end

    def continue(conn, lookup)
      return unless lookup['expect']&.downcase == '100-continue' && !conn.continued

      conn.continued = true
      conn.output << "HTTP/1.1 100 Continue\r\n\r\n"
      flush(conn)
    end

    # Answers 413 and closes. Without "Expect: 100-continue" the client sends the body anyway: it is
    # read and dropped first (up to MAX_DISCARD), so the client reads the 413, not a reset.
    def too_large(conn, method, target, version, started, lookup, buffered, length)
      if lookup['expect']&.downcase != '100-continue' && length <= MAX_DISCARD
        conn.discard = length - buffered
      end
      conn.input = binary
      respond(conn, method, [413, TEXT, 'Request body too large'], false)
      access(conn, method, target, version, 413, started, 22)
    end

    def handle(conn, method, target, version, headers, lookup, body, started)
      connection = lookup.fetch('connection', '').downcase
      keep_alive = version == 'HTTP/1.1' ? connection != 'close' : connection == 'keep-alive'
      path = target.split('?', 2).first
      if method == 'GET' && path == '/healthz'
        respond(conn, method, @load_error ? [500, TEXT, @load_error] : [200, TEXT, 'OK'], keep_alive, version)
      elsif method == 'GET' && path == '/metrics'
        respond(conn, method, [200, 'text/plain; version=0.0.4; charset=utf-8', @metrics.render], keep_alive, version)
      elsif @load_error
        Kubeless.log("Function not loaded: #{@load_error}")
        finish(Job.new(conn, method, target, version, keep_alive, started), CRASHED, resume: false)
      else
        job = Job.new(conn, method, target, version, keep_alive, started,
                      [method, target, version, headers, body, conn.peer])
        conn.job = job
        @waiting << job
        dispatch
      end
    end

    # Answers an invocation, counts it and logs it; then serves the connection's next request.
    def finish(job, reply, resume: true)
      status, = reply
      @metrics.observe(job.method, Kubeless.now - job.started, [408, 500].include?(status))
      conn = job.conn
      access(conn, job.method, job.target, job.version, status, job.started, reply[2].bytesize)
      return if conn.io.closed?

      conn.job = nil
      respond(conn, job.method, reply, job.keep_alive, job.version)
      serve(conn) if resume && !conn.io.closed? # a pipelined request
    end

    def respond(conn, method, reply, keep_alive, version = 'HTTP/1.1')
      status, type, body = reply
      connection = if !keep_alive then "Connection: close\r\n"
                   elsif version == 'HTTP/1.0' then "Connection: keep-alive\r\n"
                   else ''
                   end
      conn.output << "HTTP/1.1 #{status} #{REASONS.fetch(status, 'Unknown')}\r\nContent-Type: #{type}\r\n" \
                     "Content-Length: #{body.bytesize}\r\n#{connection}\r\n"
      conn.output << body.b unless method == 'HEAD'
      conn.closing = true unless keep_alive
      flush(conn)
    end

    # Writes what it can of a connection's or worker's output; closes a connection once its last
    # answer is out.
    def flush(peer)
      return unless peer

      io = peer.is_a?(Worker) ? peer.sock : peer.io
      until peer.output.empty?
        written = io.write_nonblock(peer.output, exception: false)
        return if written == :wait_writable

        peer.output = peer.output.byteslice(written..)
      end
      close(peer) if peer.is_a?(Conn) && peer.closing && !peer.discard.positive?
    rescue IOError, SystemCallError
      peer.is_a?(Conn) ? close(peer) : peer.output.clear # a dead worker's reader retires it
    end

    def close(conn)
      @conns.delete(conn.io)
      conn.io.close unless conn.io.closed?
      # A job in flight still gets counted and logged when its reply arrives.
      @waiting.delete(conn.job) if conn.job && !conn.job.handed_at
    end

    # One line per invocation: Common Log Format plus the duration in seconds.
    def access(conn, method, target, version, status, started, bytes)
      request = "#{method} #{target} #{version}".gsub(/[^ -~]|"/) { |c| format('\\x%02X', c.ord) }
      time = Time.now.utc.strftime('%d/%b/%Y:%H:%M:%S +0000')
      $stdout.write("#{conn.peer} - - [#{time}] \"#{request}\" #{status} #{bytes} " \
                    "#{format('%.4f', Kubeless.now - started)}\n")
    end

    def binary
      String.new(encoding: Encoding::BINARY)
    end
  end

  def self.main
    function, load_error = Function.load
    log(load_error) if load_error
    listener = TCPServer.new('0.0.0.0', PORT)
    listener.listen(1024)
    server = Server.new(listener, function, load_error)
    %w[TERM INT].each do |sig|
      trap(sig) do
        server.stop
        exit!(0)
      end
    end
    log("Serving #{MOD_NAME}.#{FUNC_HANDLER} on port #{PORT} with #{WORKERS} workers of #{CONCURRENCY} " \
        "invocations each, timeout #{format('%g', TIMEOUT)}s")
    server.run
  end
end

Kubeless.main if $PROGRAM_NAME == __FILE__
