package io.kubeless.trigger.engine;

import io.kubeless.trigger.TriggerId;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * What a trigger kind adds to the engine: how its spec becomes a subscription, and how one binding
 * of a subscription delivers. Everything else (which functions a trigger binds as they come and go,
 * duplicate bindings, restarts, state) is the engine's.
 *
 * @param <S> the trigger's spec, as written (e.g. {@code KafkaTriggerSpec})
 * @param <W> the subscription: the spec checked and defaulted, what a running binding depends on (a
 *     record, compared with {@code equals}: a changed subscription restarts the bindings)
 */
public interface TriggerSource<S, W> {

  /** The kind, as log lines and Events name it: {@code KafkaTrigger}. */
  String kind();

  /**
   * Checks and defaults a spec.
   *
   * @throws InvalidTriggerException saying what is wrong, for a person to fix
   */
  W subscription(S spec) throws InvalidTriggerException;

  /** The functions a subscription binds. */
  FunctionSelection functions(W subscription);

  /** What a subscription reads, for a person: {@code topic orders}. */
  String describe(W subscription);

  /**
   * Two triggers of a namespace with equal delivery keys (e.g. the same topic) bound to the same
   * function would deliver every event twice; only the older one does.
   */
  Object deliveryKey(W subscription);

  /** Starts delivering one binding; returns at once. */
  BindingWorker start(Binding<W> binding);

  /** How long a stopping binding may take, beyond which {@link Bindings#close} gives up on it. */
  Duration stopTimeout();

  /**
   * One binding to start.
   *
   * @param trigger the trigger
   * @param function the function's name, in the trigger's namespace
   * @param subscription what to deliver
   * @param onStateChange to call whenever the worker's state changed
   * @param onExit to call once the worker stopped, asked to or not
   */
  record Binding<W>(
      TriggerId trigger,
      String function,
      W subscription,
      Runnable onStateChange,
      Consumer<BindingWorker> onExit) {}
}
