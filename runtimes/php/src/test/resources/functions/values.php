<?php

function handler($event, $context)
{
    switch ($event->data) {
        case 'null':
            return null;
        case 'list':
            return [1, 'two', 3.0];
        case 'number':
            return 42;
        case 'binary':
            return "\xff\xfe\x00";
        case 'exit':
            exit(3);
        case 'log':
            echo "echoed by the function\n";
            fwrite(fopen('php://stdout', 'w'), "written to php://stdout\n");
            error_log('written with error_log');
            return 'logged';
        default:
            return 'text';
    }
}
