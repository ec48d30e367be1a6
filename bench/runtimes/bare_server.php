<?php
// A bare hello-world HTTP/1.1 server on a stream_select loop: the PHP runtime's own server loop,
// in one process, without workers.

const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\n\r\nhello world";

$listener = stream_socket_server('tcp://0.0.0.0:' . (getenv('FUNC_PORT') ?: '8080'), $errno, $error,
    STREAM_SERVER_BIND | STREAM_SERVER_LISTEN, stream_context_create(['socket' => ['backlog' => 1024]]));
stream_set_blocking($listener, false);
$clients = [];
$buffers = [];
while (true) {
    $read = $clients;
    $read[] = $listener;
    $write = $except = null;
    if (stream_select($read, $write, $except, null) === false) {
        continue;
    }
    foreach ($read as $stream) {
        if ($stream === $listener) {
            while (($client = @stream_socket_accept($listener, 0)) !== false) {
                stream_set_blocking($client, false);
                stream_set_read_buffer($client, 0);
                $clients[(int) $client] = $client;
                $buffers[(int) $client] = '';
            }
            continue;
        }
        $id = (int) $stream;
        $data = fread($stream, 262144);
        if ($data === false || ($data === '' && feof($stream))) {
            fclose($stream);
            unset($clients[$id], $buffers[$id]);
            continue;
        }
        $buffers[$id] .= $data;
        while (($end = strpos($buffers[$id], "\r\n\r\n")) !== false) {
            $length = preg_match('/\r\ncontent-length:\s*(\d+)/i', substr($buffers[$id], 0, $end), $m) ? (int) $m[1] : 0;
            if (strlen($buffers[$id]) < $end + 4 + $length) {
                break;
            }
            $buffers[$id] = substr($buffers[$id], $end + 4 + $length);
            fwrite($stream, RESPONSE);
        }
    }
}
