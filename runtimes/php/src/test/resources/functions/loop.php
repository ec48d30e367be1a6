<?php

function handler($event, $context)
{
    if ($event->data !== 'spin') {
        return 'ok';
    }
    $ticks = getenv('KUBELESS_INSTALL_VOLUME') . '/ticks';
    for ($n = 1; ; $n++) { // runs until the runtime stops it
        if ($n % 100000 === 0) {
            file_put_contents($ticks, (string) $n);
        }
    }
}
