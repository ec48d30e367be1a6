<?php

function handler($event, $context)
{
    $start = microtime(true);
    sleep(1);
    return sprintf('%d %d', $start * 1000, microtime(true) * 1000);
}
