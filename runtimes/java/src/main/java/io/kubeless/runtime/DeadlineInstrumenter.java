package io.kubeless.runtime;

import java.util.HashSet;
import java.util.Set;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Rewrites a function's class so that every method entry and every backward jump calls {@link
 * Deadline#check()}: loops check on each iteration, recursion on each call. The call takes and
 * leaves nothing on the stack, so stack sizes and stack map frames stay valid as they are.
 */
final class DeadlineInstrumenter {

  private static final String DEADLINE = Deadline.class.getName().replace('.', '/');

  private DeadlineInstrumenter() {}

  static byte[] instrument(byte[] classFile) {
    ClassReader reader = new ClassReader(classFile);
    ClassWriter writer = new ClassWriter(0);
    reader.accept(
        new ClassVisitor(Opcodes.ASM9, writer) {
          @Override
          public MethodVisitor visitMethod(
              int access, String name, String descriptor, String signature, String[] exceptions) {
            MethodVisitor method =
                super.visitMethod(access, name, descriptor, signature, exceptions);
            return method == null ? null : new CheckingMethodVisitor(method);
          }
        },
        0);
    return writer.toByteArray();
  }

  private static final class CheckingMethodVisitor extends MethodVisitor {
    /** Labels already passed: a jump to one of them goes backwards. */
    private final Set<Label> seen = new HashSet<>();

    CheckingMethodVisitor(MethodVisitor next) {
      super(Opcodes.ASM9, next);
    }

    @Override
    public void visitCode() {
      super.visitCode();
      check();
    }

    @Override
    public void visitLabel(Label label) {
      super.visitLabel(label);
      seen.add(label);
    }

    @Override
    public void visitJumpInsn(int opcode, Label label) {
      if (seen.contains(label)) {
        check();
      }
      super.visitJumpInsn(opcode, label);
    }

    @Override
    public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
      if (backwards(dflt, labels)) {
        check();
      }
      super.visitTableSwitchInsn(min, max, dflt, labels);
    }

    @Override
    public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
      if (backwards(dflt, labels)) {
        check();
      }
      super.visitLookupSwitchInsn(dflt, keys, labels);
    }

    private boolean backwards(Label dflt, Label[] labels) {
      if (seen.contains(dflt)) {
        return true;
      }
      for (Label label : labels) {
        if (seen.contains(label)) {
          return true;
        }
      }
      return false;
    }

    private void check() {
      super.visitMethodInsn(Opcodes.INVOKESTATIC, DEADLINE, "check", "()V", false);
    }
  }
}
