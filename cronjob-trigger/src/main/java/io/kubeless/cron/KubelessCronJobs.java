package io.kubeless.cron;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.api.v1beta1.CronJobTrigger;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Migration from Kubeless: its cronjob-trigger ran each CronJobTrigger as a CronJob named {@code
 * trigger-<function>}, labelled {@code created-by=kubeless} and owned by the trigger (kind {@code
 * Trigger}, the trigger's name and uid). This controller fires the schedule itself, so such a
 * CronJob would fire every tick a second time: it is deleted, once per trigger and process.
 */
final class KubelessCronJobs {

  private static final Logger LOG = Logger.getLogger(KubelessCronJobs.class);
  static final String CREATED_BY = "created-by";
  static final String KUBELESS = "kubeless";

  private final KubernetesClient client;
  private final Set<String> done = ConcurrentHashMap.newKeySet();

  KubelessCronJobs(KubernetesClient client) {
    this.client = client;
  }

  /** Deletes the CronJobs Kubeless created for {@code trigger}, unless already done. */
  void remove(CronJobTrigger trigger) {
    String uid = trigger.getMetadata().getUid();
    if (uid == null || done.contains(uid)) {
      return;
    }
    String ns = trigger.getMetadata().getNamespace();
    try {
      List<CronJob> jobs =
          client
              .batch()
              .v1()
              .cronjobs()
              .inNamespace(ns)
              .withLabel(CREATED_BY, KUBELESS)
              .list()
              .getItems();
      for (CronJob job : jobs) {
        if (createdFor(job, trigger)) {
          client.resource(job).delete();
          LOG.infof(
              "CronJobTrigger %s/%s: deleted CronJob %s, which Kubeless created for it, so that"
                  + " its ticks fire once",
              ns, trigger.getMetadata().getName(), job.getMetadata().getName());
        }
      }
      done.add(uid);
    } catch (KubernetesClientException e) {
      // tried again at the next reconcile
      LOG.warnf(
          "CronJobTrigger %s/%s: looking for Kubeless's CronJobs failed: %s",
          ns, trigger.getMetadata().getName(), e.getMessage());
    }
  }

  /** Owned by the trigger (by uid, or Kubeless's kind and the name), or named for its function. */
  static boolean createdFor(CronJob job, CronJobTrigger trigger) {
    for (OwnerReference owner : job.getMetadata().getOwnerReferences()) {
      if (Objects.equals(owner.getUid(), trigger.getMetadata().getUid())
          || (owner.getApiVersion() != null
              && owner.getApiVersion().startsWith("kubeless.io/")
              && Objects.equals(owner.getName(), trigger.getMetadata().getName()))) {
        return true;
      }
    }
    String function = trigger.getSpec() == null ? null : trigger.getSpec().getFunctionName();
    return function != null && job.getMetadata().getName().equals("trigger-" + function);
  }

  /** Forgets a deleted trigger. */
  void forget(String uid) {
    if (uid != null) {
      done.remove(uid);
    }
  }
}
