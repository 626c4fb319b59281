using Sandboxer.Install;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Install;

public class OpenRcScriptTests
{
    private static readonly OpenRcSettings Monerod = new("/usr/local/bin/bwrap-monerod", "/usr/bin/sandboxer", "monerod", null, 30, "/run/sandboxer");

    private static string Seed(string file) => File.ReadAllText(Path.Combine(SeedScripts.Directory, file));

    [Fact]
    public void The_distributions_monerod_script_is_rewritten_as_its_author_did_plus_the_relays_lines()
    {
        Assert.Equal("""
            #!/sbin/openrc-run
            # Copyright 2020-2025 Gentoo Authors
            # Distributed under the terms of the GNU General Public License v2
            name="Monero P2P Daemon"
            description="Connects to the Monero P2P network"
            supervisor="supervise-daemon"

            command=/usr/local/bin/bwrap-monerod
            pidfile=/run/${RC_SVCNAME}/${RC_SVCNAME}.pid
            command_args="--non-interactive ${MONEROD_ARGS}"
            command_progress=1
            command_user="${MONEROD_USER:=monero}:${MONEROD_GROUP:=monero}"
            retry="SIGTERM/30/SIGKILL/5"
            extra_started_commands="reload"
            depend() {
            after net
            need localmount
            }
            start_pre() {
            checkpath --directory --owner ${command_user} --mode 0755 \
            /var/lib/monero /var/log/monero $(dirname ${pidfile})
            # The stop relay's lock and PID, for the service's user (sandboxer install).
            checkpath --directory --owner root --mode 0755 /run/sandboxer
            checkpath --directory --owner ${command_user} --mode 0700 /run/sandboxer/monerod
            }
            status() {
            if supervise_status; then
            monerod status
            fi
            }
            reload() {
            ebegin "Reloading ${RC_SVCNAME}"
            # Through the relay: supervise-daemon --signal would reach bwrap, and bwrap would die.
            /usr/bin/sandboxer signal monerod HUP
            eend $?
            }

            """, OpenRcScript.Rewrite(Seed("monerod.orig.initd"), Monerod));
    }

    [Fact]
    public void The_authors_hand_edit_and_the_distributions_script_end_up_the_same()
    {
        // The author kept a --detach that supervise-daemon never passes; the rewrite drops it as well.
        Assert.Equal(OpenRcScript.Rewrite(Seed("monerod.orig.initd"), Monerod), OpenRcScript.Rewrite(Seed("monerod.initd"), Monerod));
    }

    [Theory]
    [InlineData("monerod.orig.initd")]
    [InlineData("monerod.initd")]
    [InlineData("socat-navidrome.initd")]
    public void A_rewritten_script_is_left_as_it_is(string file)
    {
        string once = OpenRcScript.Rewrite(Seed(file), Monerod);
        Assert.Equal(once, OpenRcScript.Rewrite(once, Monerod));
    }

    [Fact]
    public void A_continued_command_args_is_kept_and_retry_follows_the_stop_timeout()
    {
        var settings = Monerod with { Link = "/usr/local/bin/bwrap-socat", Profile = "socat", Timeout = 12, ProfileDirectory = "/etc/sb" };
        string rewritten = OpenRcScript.Rewrite(Seed("socat-navidrome.initd"), settings);
        Assert.Contains("command_args=\"TCP-LISTEN:4533,fork,reuseaddr \\\nUNIX-CONNECT:/run/navidrome/navidrome.sock\"\n", rewritten);
        Assert.Contains("command=\"/usr/local/bin/bwrap-socat\"\n", rewritten); // already the link: left as written
        Assert.Contains("retry=\"SIGTERM/12/SIGKILL/5\"\n", rewritten);
        Assert.Contains("\nstart_pre() {\n# The stop relay's", rewritten); // indented as depend() is: not at all
        Assert.Contains("\n/usr/bin/sandboxer --profile-dir /etc/sb signal socat HUP\n", rewritten);
        Assert.Equal(1, rewritten.Split("supervisor=").Length - 1);
    }

    [Fact]
    public void A_reload_that_signals_through_the_supervisor_is_replaced_and_pidfile_options_go()
    {
        string script = "#!/sbin/openrc-run\ncommand=/usr/bin/d\ncommand_args=\"-v --pidfile=/run/d.pid --detach\"\nextra_started_commands=\"rotate\"\n"
            + "reload() {\n\tsupervise-daemon \"$RC_SVCNAME\" --signal HUP\n}\n";
        string rewritten = OpenRcScript.Rewrite(script, Monerod);
        Assert.Contains("command_args=\"-v\"\n", rewritten);
        Assert.Contains("extra_started_commands=\"rotate reload\"\n", rewritten);
        Assert.DoesNotContain("supervise-daemon \"$RC_SVCNAME\" --signal", rewritten);
        Assert.Contains("\n\t/usr/bin/sandboxer signal monerod HUP\n", rewritten);
        Assert.DoesNotContain("checkpath", rewritten); // runs as root: Sandboxer makes the state directory itself
    }

    [Fact]
    public void A_script_without_command_is_refused()
    {
        var e = Assert.Throws<SandboxerException>(() => OpenRcScript.Rewrite("#!/sbin/openrc-run\nstart() { :; }\n", Monerod));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
    }
}
