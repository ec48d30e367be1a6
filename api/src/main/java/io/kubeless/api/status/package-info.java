/**
 * Status helpers every controller shares: conditions whose {@code lastTransitionTime} only moves
 * when the condition changes, and Warning Events for invalid resources.
 */
package io.kubeless.api.status;
