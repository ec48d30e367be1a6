<?php

function handler($event, $context)
{
    $request = $event->extensions->request;
    return json_encode([
        'event-id' => $event->{'event-id'},
        'event-type' => $event->{'event-type'},
        'event-time' => $event->{'event-time'},
        'event-namespace' => $event->{'event-namespace'},
        'method' => $request->getMethod(),
        'path' => $request->getUri()->getPath(),
    ] + (array) $context);
}
