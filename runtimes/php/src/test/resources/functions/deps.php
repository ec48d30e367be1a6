<?php

require 'vendor/autoload.php';

use KubelessDep\Text;

function handler($event, $context)
{
    return Text::shout('deps');
}
