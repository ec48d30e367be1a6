<?php

// The dependencies were never installed: the require fails while the function loads.
require 'vendor/autoload.php';

function handler($event, $context)
{
    return 'unreachable';
}
