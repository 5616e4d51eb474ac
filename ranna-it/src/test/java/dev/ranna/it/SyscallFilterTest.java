package dev.ranna.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ranna.engine.RannaEngine;
import dev.ranna.netty.RannaServer;
import dev.ranna.netty.ServerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The syscall filter of both sandboxes, end to end: a real {@link RannaServer} on a real socket, {@code
 * GET /v1/info} reports the filter, and {@code POST /v1/exec} runs a probe that makes the denied system
 * calls from inside (the process sandbox through Python's ctypes, Docker through the test image's static
 * {@code /bin/syscall-probe}); each must be refused, and an ordinary program still runs.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SyscallFilterTest {
    private static final Summary SUMMARY = new Summary(
            "syscall-filter",
            "Kernel surface from inside a run (`SyscallFilterTest`)",
            "mvn -pl ranna-it verify",
            "A real `RannaServer` per sandbox; `POST /v1/exec` runs a probe inside the run that makes each system"
                    + " call raw (Python ctypes in the process sandbox, the static `/bin/syscall-probe` of the"
                    + " test image in Docker) and prints what the kernel answered. Before the filter the process"
                    + " sandbox had `Seccomp: 0` and every call below succeeded; Docker 20.10's default profile"
                    + " allowed `io_uring_setup` and `int 0x80`.");

    @AfterAll
    static void writeSummary() {
        SUMMARY.write();
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Python ctypes probe: "name=ok|ERRNAME|killed-SIGSYS" per call, as .ci/probe/syscall-probe.c prints. */
    private static final String PYTHON_PROBE = """
            /usr/bin/python3 - <<'EOF'
            import ctypes, errno, subprocess, sys
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            buf = ctypes.create_string_buffer(4096)
            def call(name, *args):
                ctypes.set_errno(0)
                r = libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
                e = ctypes.get_errno()
                print(name + '=' + ('ok' if r >= 0 else errno.errorcode.get(e, str(e))), flush=True)
            call('io_uring_setup', 425, 1, buf)
            call('userfaultfd', 323, 1)
            call('bpf', 321, 0, buf, 64)
            call('unshare_newuser', 272, 0x10000000)
            call('keyctl', 250, 0, -3, 0)
            code = "import ctypes,mmap\\n" \\
                "m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\\n" \\
                "m.write(bytes([0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xc3]))\\n" \\
                "ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))()\\n"
            rc = subprocess.run([sys.executable, '-c', code]).returncode
            print('int80_getpid=' + ('killed-SIGSYS' if rc == -31 else 'ok' if rc == 0 else 'exit-' + str(rc)))
            EOF
            """;

    private static final String DOCKER_PROBE =
            "syscall-probe io_uring_setup userfaultfd bpf unshare_newuser keyctl int80_getpid\n";

    private static final String STATUS =
            "echo status_seccomp=$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/self/status)\n";

    @Test
    void processSandbox() throws Exception {
        RannaEngine engine = Engines.process(Engines.limits().build(), Engines.processConfig());
        try (RannaServer server = Engines.server(engine, ServerOptions.DEFAULTS)) {
            assertRefused(server, PYTHON_PROBE, "process sandbox");
            assertThat(exec(
                            server,
                            "/usr/bin/python3 -c 'import threading; t = threading.Thread(target=print,"
                                    + " args=(\"thread\",)); t.start(); t.join()'; echo done | cat\n"))
                    .isEqualTo("thread\ndone\n");
        }
    }

    @Test
    void dockerSandbox() throws Exception {
        RannaEngine engine = Engines.docker(Engines.limits().build(), Engines.dockerConfig());
        try (RannaServer server = Engines.server(engine, ServerOptions.DEFAULTS)) {
            Requirements.check(
                    exec(server, "test -x /bin/syscall-probe && echo yes\n").equals("yes\n"),
                    "the test image " + Engines.DOCKER_IMAGE + " has no /bin/syscall-probe: rebuild it with .ci/run");
            assertRefused(server, DOCKER_PROBE, "Docker sandbox");
            assertThat(exec(server, "echo a | tr a b; (echo sub) & wait\n")).isEqualTo("b\nsub\n");
        }
    }

    private static void assertRefused(RannaServer server, String probe, String sandbox) throws Exception {
        JsonNode info = get(server, "/v1/info");
        assertThat(info.at("/sandbox/syscalls").asText()).startsWith("seccomp x86_64: ");
        var results = new LinkedHashMap<String, String>();
        exec(server, probe + STATUS)
                .lines()
                .map(line -> line.split("=", 2))
                .forEach(kv -> results.put(kv[0], kv.length > 1 ? kv[1] : ""));
        SUMMARY.set(
                sandbox + ": what the kernel answered",
                results.toString().replace("{", "").replace("}", ""));
        assertThat(results)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "io_uring_setup", "ENOSYS",
                        "userfaultfd", "EPERM",
                        "bpf", "EPERM",
                        "unshare_newuser", "EPERM",
                        "keyctl", "EPERM",
                        "int80_getpid", "killed-SIGSYS",
                        "status_seccomp", "2"));
    }

    private static JsonNode get(RannaServer server, String path) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** POST /v1/exec of {@code sh} code; the run's stdout (exit code 0 required). */
    private static String exec(RannaServer server, String code) throws Exception {
        String body = JSON.writeValueAsString(Map.of("language", "sh", "code", code));
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/exec"))
                        .timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode result = JSON.readTree(response.body());
        assertThat(result.path("exitcode").asInt(-1)).as(response.body()).isZero();
        return result.path("stdout").asText();
    }
}
