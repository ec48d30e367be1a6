<?php

// A top-level variable is a global, as in any PHP script.
$greeting = 'hi';

function handler($event, $context)
{
    global $greeting;
    $request = $event->extensions->request;
    return [
        'greeting' => $greeting,
        'eventIsObject' => is_object($event),
        'contextIsObject' => is_object($context),
        // Kubeless decoded JSON with json_decode($body): objects, not arrays.
        'dataIsObject' => is_object($event->data),
        'name' => is_object($event->data) ? $event->data->name : $event->data,
        'reencoded' => json_encode($event->data),
        'header' => $request->getHeaderLine('X-Custom'),
        'query' => $request->getQueryParams(),
        'body' => $request->getBody()->getContents(),
        'get' => $_GET,
        'serverEventId' => $_SERVER['HTTP_EVENT_ID'] ?? null,
        'serverMethod' => $_SERVER['REQUEST_METHOD'],
        'cwd' => getcwd(),
    ];
}
