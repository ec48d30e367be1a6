<?php

function handler($event, $context)
{
    usleep(100000);
    return $event->data;
}
