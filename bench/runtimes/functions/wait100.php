<?php

// An I/O-bound handler: a blocking 100 ms wait (a database, an HTTP call).
function handler($event, $context) {
    usleep(100000);
    return "done";
}
