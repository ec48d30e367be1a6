<?php

function handler($event, $context)
{
    throw new RuntimeException('intentional failure');
}
