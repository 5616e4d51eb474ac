package dev.ranna.sandbox.process;

import static dev.ranna.sandbox.process.TestSupport.PROMPTLY;
import static dev.ranna.sandbox.process.TestSupport.TIMEOUT;
import static dev.ranna.sandbox.process.TestSupport.python;
import static dev.ranna.sandbox.process.TestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ranna.engine.spi.SandboxConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The syscall filter in real runs under bubblewrap: the calls the policy denies fail from inside with
 * the policy's errno (raw system calls through Python's ctypes), the 32-bit entry point kills, and
 * ordinary programs (threads, subprocesses) still work. The same probe in a sandbox with {@value
 * ProcessSandboxConfig#SECCOMP}{@code =off} shows io_uring and userfaultfd succeed there: the probe can
 * tell.
 */
class ProcessSandboxSeccompTest {
    /** Prints "name=ok" or "name=ERRNAME" per call, like .ci/probe/syscall-probe.c. */
    static final String PROBE = """
            import ctypes, errno, mmap, os, subprocess, sys
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            buf = ctypes.create_string_buffer(4096)
            L = ctypes.c_long
            def call(name, *args):
                ctypes.set_errno(0)
                r = libc.syscall(*[L(a) if isinstance(a, int) else a for a in args])
                if r == 0 and name == 'clone_newns':
                    os._exit(0)
                if r > 0 and name.startswith('clone'):
                    os.waitpid(r, 0)
                e = ctypes.get_errno()
                print(name + '=' + ('ok' if r >= 0 else errno.errorcode.get(e, str(e))), flush=True)
            call('getpid', 39)
            call('io_uring_setup', 425, 1, buf)
            call('io_uring_enter', 426, -1, 0, 0, 0, None, 0)
            call('io_uring_register', 427, -1, 0, None, 0)
            call('userfaultfd', 323, 1)
            call('bpf', 321, 0, buf, 64)
            call('perf_event_open', 298, buf, 0, -1, -1, 0)
            call('keyctl', 250, 0, -3, 0)
            call('add_key', 248, b'user', b'ranna', b'x', 1, -3)
            call('unshare_newuser', 272, 0x10000000)
            call('setns', 308, -1, 0)
            call('mount', 165, b'none', b'/nonexistent/ranna-probe', b'tmpfs', 0, None)
            call('open_by_handle_at', 304, -1, buf, 0)
            call('personality_linux32', 135, 8)
            call('clone3', 435, buf, 0)
            call('clone_newns', 56, 0x00020000 | 17, 0, 0, 0, 0)
            def child(name, code):
                rc = subprocess.run([sys.executable, '-c', code]).returncode
                print(name + '=' + ('killed-SIGSYS' if rc == -31 else 'ok' if rc == 0 else 'exit-' + str(rc)))
            # The x32 ABI and int 0x80 (i386 getpid, from a page of our own), each in a child: the filter kills.
            child('x32_getpid', "import ctypes\\n"
                "ctypes.CDLL(None).syscall(ctypes.c_long(0x40000000 | 39))\\n")
            code = "import ctypes,mmap\\n" \\
                "m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\\n" \\
                "m.write(bytes([0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xc3]))\\n" \\
                "f = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))\\n" \\
                "r = f()\\n" \\
                "raise SystemExit(0 if r > 0 else 1)\\n"
            child('int80_getpid', code)
            for line in open('/proc/self/status'):
                if line.startswith('Seccomp:'):
                    print('status_seccomp=' + line.split()[1])
            """;

    private ProcessSandbox sandbox;

    @AfterEach
    void close() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private ProcessSandbox create(String seccomp) throws Exception {
        return create(seccomp, "2");
    }

    private ProcessSandbox create(String seccomp, String pool) throws Exception {
        TestSupport.assumeBubblewrap();
        var config = SandboxConfig.defaults()
                .with(SandboxConfig.MEMORY, "128M")
                .with(ProcessSandboxConfig.PIDS, "64")
                .with(ProcessSandboxConfig.SECCOMP, seccomp)
                .with(ProcessSandboxConfig.POOL, pool);
        sandbox = (ProcessSandbox) new ProcessSandboxProvider().create(config);
        return sandbox;
    }

    private Map<String, String> probe() throws Exception {
        var run = TestSupport.run(sandbox, request(python(), PROBE, TIMEOUT));
        assertThat(run.status().exitCode())
                .as("%s\n%s", run.stdout(), run.stderr())
                .isZero();
        var results = new LinkedHashMap<String, String>();
        run.stdout().lines().map(line -> line.split("=", 2)).forEach(kv -> results.put(kv[0], kv[1]));
        return results;
    }

    @Test
    void deniedCallsFailInsideWithThePolicysErrnoAndTheFilterIsReported() throws Exception {
        create("on");
        assertThat(sandbox.info().get("syscalls")).startsWith("seccomp x86_64: ");
        var results = probe();
        assertThat(results)
                .containsEntry("getpid", "ok")
                .containsEntry("io_uring_setup", "ENOSYS")
                .containsEntry("io_uring_enter", "ENOSYS")
                .containsEntry("io_uring_register", "ENOSYS")
                .containsEntry("clone3", "ENOSYS")
                .containsEntry("userfaultfd", "EPERM")
                .containsEntry("bpf", "EPERM")
                .containsEntry("perf_event_open", "EPERM")
                .containsEntry("keyctl", "EPERM")
                .containsEntry("add_key", "EPERM")
                .containsEntry("unshare_newuser", "EPERM")
                .containsEntry("setns", "EPERM")
                .containsEntry("mount", "EPERM")
                .containsEntry("open_by_handle_at", "EPERM")
                .containsEntry("personality_linux32", "EPERM")
                .containsEntry("clone_newns", "EPERM")
                .containsEntry("x32_getpid", "killed-SIGSYS")
                .containsEntry("int80_getpid", "killed-SIGSYS")
                .containsEntry("status_seccomp", "2");
    }

    @Test
    void ordinaryProgramsStillWorkUnderTheFilter() throws Exception {
        create("on");
        String code = """
                import subprocess, threading, os, tempfile
                out = []
                ts = [threading.Thread(target=lambda i=i: out.append(i * i)) for i in range(8)]
                [t.start() for t in ts]; [t.join() for t in ts]
                print('threads', sum(out))
                print(subprocess.run(['sh', '-c', 'echo child $((6*7)) | cat'], capture_output=True, text=True).stdout.strip())
                with tempfile.NamedTemporaryFile('w', dir='/tmp') as f:
                    f.write('x'); f.flush(); print('tmp', os.path.getsize(f.name))
                print('personality', os.uname().machine)
                """;
        var run = TestSupport.run(sandbox, request(python(), code, TIMEOUT));
        assertThat(run.status().exitCode()).as(run.stderr()).isZero();
        assertThat(run.stdout()).isEqualTo("threads 140\nchild 42\ntmp 1\npersonality x86_64\n");
    }

    @Test
    void thePooledSandboxesInstallTheFilterToo() throws Exception {
        create("on");
        TestSupport.assumeRoot();
        assertThat(TestSupport.sh(sandbox, "grep Seccomp: /proc/self/status\n").stdout())
                .isEqualTo("Seccomp:\t2\n");
        assertThat(TestSupport.poll(PROMPTLY, () -> sandbox.pooled().size() == 2 && !sandbox.filling()))
                .as("the pool fills")
                .isTrue();
        var pooled = sandbox.pooled();
        var run = TestSupport.sh(sandbox, "grep Seccomp: /proc/self/status; grep Seccomp: /proc/1/status\n");
        assertThat(pooled.get(0).process().isAlive())
                .as("the run took a pooled sandbox")
                .isFalse();
        // The program and the stub that waited for it (bwrap's pid 1 runs unfiltered, as in a cold run).
        assertThat(run.stdout()).as(run.stderr()).startsWith("Seccomp:\t2\n");
    }

    @Test
    void thePrestartedLauncherInstallsTheFilterToo() throws Exception {
        // Without a pool: plain runs then take the prestarted launcher.
        create("on", "0");
        TestSupport.assumeRoot();
        assertThat(TestSupport.sh(sandbox, "grep Seccomp: /proc/self/status\n").stdout())
                .isEqualTo("Seccomp:\t2\n");
        assertThat(TestSupport.poll(PROMPTLY, () -> sandbox.prestarted() != null && !sandbox.prestarting()))
                .as("a launcher is prestarted for the next run")
                .isTrue();
        var prestarted = sandbox.prestarted();
        var run = TestSupport.sh(sandbox, "grep Seccomp: /proc/self/status\n");
        assertThat(sandbox.prestarted()).isNotSameAs(prestarted);
        assertThat(run.stdout()).as(run.stderr()).isEqualTo("Seccomp:\t2\n");
    }

    @Test
    void withTheFilterOffTheProbeSeesTheCallsSucceed() throws Exception {
        create("off");
        assertThat(sandbox.info()).containsEntry("syscalls", "none (" + ProcessSandboxConfig.SECCOMP + "=off)");
        var results = probe();
        // What the filter exists to stop, and proof the probe above would notice a missing filter.
        assertThat(results)
                .containsEntry("io_uring_setup", "ok")
                .containsEntry("userfaultfd", "ok")
                .containsEntry("status_seccomp", "0");
        assertThat(results.get("int80_getpid")).isEqualTo("ok");
        assertThat(results.get("x32_getpid")).isEqualTo("ok");
    }
}
