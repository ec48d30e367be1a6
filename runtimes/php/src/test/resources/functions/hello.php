<?php

function handler($event, $context)
{
    return 'hello world';
}
