package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Observed state of a trigger: conditions and observed generation, shared by all trigger kinds. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TriggerStatus extends KubelessStatus {}
