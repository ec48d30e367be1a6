/**
 * The {@code kubeless.io/v1beta1} resources: {@link io.kubeless.api.v1beta1.Function} and the five
 * trigger kinds. Field names are Kubeless's own, so existing Kubeless YAML applies unchanged. These
 * classes hold data only; validation and defaulting belong to the controllers.
 */
package io.kubeless.api.v1beta1;
