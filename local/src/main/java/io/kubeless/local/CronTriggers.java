package io.kubeless.local;

import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.CronJobTriggerSpec;
import io.kubeless.cron.source.CronSource;
import io.kubeless.cron.source.CronSubscription;
import io.kubeless.cron.source.FiringLeadership;
import io.kubeless.cron.source.TriggerRecords;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CronJobTriggers in local mode: the same cron source as the cronjob trigger, in this one process,
 * which always fires. A trigger's event ids start with its {@code metadata.uid} when the YAML has
 * one, else with a uid derived from its namespace and name, the same at every start. Nothing is
 * recorded between runs: the ticks while local mode is down are not counted.
 */
final class CronTriggers
    extends LocalTriggers<CronJobTrigger, CronJobTriggerSpec, CronSubscription> {

  // the uid of each trigger, as its latest definition gives it
  private final Map<TriggerId, String> uids = new ConcurrentHashMap<>();

  CronTriggers(PrintStream out, Path home) {
    super(out, home);
  }

  @Override
  String kind() {
    return "CronJobTrigger";
  }

  @Override
  String prefix() {
    return "cron";
  }

  @Override
  List<CronJobTrigger> triggers(Manifests m) {
    return m.cronJobTriggers();
  }

  /** Also learns the trigger's uid: every definition applied passes here. */
  @Override
  CronJobTriggerSpec spec(CronJobTrigger trigger) {
    TriggerId id = id(trigger);
    String uid = trigger.getMetadata().getUid();
    uids.put(id, uid == null || uid.isBlank() ? derivedUid(id) : uid);
    return trigger.getSpec();
  }

  static String derivedUid(TriggerId id) {
    return UUID.nameUUIDFromBytes(
            ("kubeless-local/cronjobtriggers/" + id.namespace() + "/" + id.name())
                .getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  @Override
  protected String describe(CronJobTrigger trigger) {
    CronJobTriggerSpec spec = trigger.getSpec();
    if (spec == null) {
      return "schedule ";
    }
    return "schedule "
        + spec.getSchedule()
        + (spec.getTimeZone() == null ? "" : " (" + spec.getTimeZone() + ")")
        + " -> "
        + spec.getFunctionName();
  }

  @Override
  protected TriggerSource<CronJobTriggerSpec, CronSubscription> start(
      TriggerEngine engine, List<CronJobTrigger> triggers) {
    TriggerRecords records = uids::get;
    return new CronSource(engine, FiringLeadership.ALWAYS, records, CronSource.Settings.defaults());
  }

  @Override
  protected String serverLine() {
    return null;
  }

  @Override
  protected void state(Map<String, Object> state) {}

  @Override
  protected void stopServer() {}
}
