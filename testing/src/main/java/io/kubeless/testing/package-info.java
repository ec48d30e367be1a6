/**
 * Test support shared by the components: {@link io.kubeless.testing.MockApiServer} (fabric8's mock
 * API server in CRUD mode with the committed CRDs), {@link io.kubeless.testing.PackagedApp} (a
 * packaged Quarkus application as its own OS process) and {@link io.kubeless.testing.Manifests}
 * (what {@code kubectl apply -k k8s/<component>} would install).
 */
package io.kubeless.testing;
