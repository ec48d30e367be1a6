package io.kubeless.function;

import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Moves a child's fields written by client-side updates (Kubeless's controller, or plain updates)
 * into the controller's server-side apply entry, as {@code kubectl} does when it upgrades an object
 * from client-side to server-side apply (client-go's {@code csaupgrade}).
 *
 * <p>Server-side apply removes a field the applier no longer sets only when no other manager owns
 * it. Without this step, every field Kubeless wrote (a label, an env var, a Service port the
 * Function no longer asks for) would stay forever, owned by a manager that will never write again.
 * Only the entries of the configured managers move; the fields of other managers (an autoscaler's
 * replicas, a user's annotation) are left to them.
 */
final class FieldOwnership {

  private static final Logger LOG = Logger.getLogger(FieldOwnership.class);
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final String APPLY = "Apply";
  private static final String UPDATE = "Update";

  private FieldOwnership() {}

  /**
   * Makes {@code manager}'s apply entry own the fields of {@code adopted} managers' updates.
   *
   * @return whether the child was patched; its informer event then reconciles again, and the next
   *     apply removes what the Function does not ask for
   */
  static boolean takeOver(
      HasMetadata child, String manager, Set<String> adopted, KubernetesClient client) {
    List<ManagedFieldsEntry> entries = child.getMetadata().getManagedFields();
    if (entries == null
        || entries.stream().noneMatch(e -> isUpdate(e) && adopted.contains(e.getManager()))) {
      return false;
    }
    ManagedFieldsEntry ours =
        entries.stream()
            .filter(e -> manager.equals(e.getManager()) && APPLY.equals(e.getOperation()))
            .filter(e -> e.getSubresource() == null || e.getSubresource().isEmpty())
            .findFirst()
            .orElse(null);
    Map<String, Object> fields = new LinkedHashMap<>();
    if (ours != null) {
      union(fields, fieldsOf(ours));
    }
    List<ManagedFieldsEntry> kept = new ArrayList<>();
    List<String> moved = new ArrayList<>();
    for (ManagedFieldsEntry entry : entries) {
      if (entry == ours) {
        continue;
      }
      if (isUpdate(entry) && adopted.contains(entry.getManager())) {
        union(fields, fieldsOf(entry));
        moved.add(entry.getManager());
      } else {
        kept.add(entry);
      }
    }
    FieldsV1 union = new FieldsV1();
    fields.forEach(union::setAdditionalProperty);
    kept.add(
        new ManagedFieldsEntryBuilder()
            .withManager(manager)
            .withOperation(APPLY)
            .withApiVersion(ours != null ? ours.getApiVersion() : child.getApiVersion())
            .withTime(
                ours != null
                    ? ours.getTime()
                    : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())
            .withFieldsType("FieldsV1")
            .withFieldsV1(union)
            .build());
    // the test makes the patch fail if the object changed since it was read
    String patch =
        JSON.asJson(
            List.of(
                Map.of(
                    "op",
                    "test",
                    "path",
                    "/metadata/resourceVersion",
                    "value",
                    child.getMetadata().getResourceVersion()),
                Map.of("op", "replace", "path", "/metadata/managedFields", "value", kept)));
    client.resource(child).patch(PatchContext.of(PatchType.JSON), patch);
    LOG.infof(
        "%s %s/%s: took over the fields of %s for server-side apply",
        child.getKind(),
        child.getMetadata().getNamespace(),
        child.getMetadata().getName(),
        String.join(", ", moved));
    return true;
  }

  private static boolean isUpdate(ManagedFieldsEntry entry) {
    return UPDATE.equals(entry.getOperation())
        && (entry.getSubresource() == null || entry.getSubresource().isEmpty());
  }

  private static Map<String, Object> fieldsOf(ManagedFieldsEntry entry) {
    return entry.getFieldsV1() == null || entry.getFieldsV1().getAdditionalProperties() == null
        ? Map.of()
        : entry.getFieldsV1().getAdditionalProperties();
  }

  /**
   * Adds the field set {@code from} to {@code into}: both are trees of {@code f:}/{@code k:} keys.
   */
  @SuppressWarnings("unchecked")
  private static void union(Map<String, Object> into, Map<String, Object> from) {
    from.forEach(
        (key, value) -> {
          if (value instanceof Map<?, ?> child) {
            Object existing = into.get(key);
            Map<String, Object> target;
            if (existing instanceof Map<?, ?> map) {
              target = (Map<String, Object>) map;
            } else {
              target = new LinkedHashMap<>();
              into.put(key, target);
            }
            union(target, (Map<String, Object>) child);
          } else {
            into.putIfAbsent(key, value);
          }
        });
  }
}
