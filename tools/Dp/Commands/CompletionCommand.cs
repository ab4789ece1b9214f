using System.CommandLine;
using DomainPlatform.Dp.Cli;

namespace DomainPlatform.Dp.Commands;

/// <summary>
/// dp completion bash|zsh: a script that asks dp itself for completions through System.CommandLine's suggest directive
/// (`dp "[suggest:POSITION]" "LINE"`), so commands, options and their accepted values always match this build.
/// </summary>
public static class CompletionCommand
{
    public const string Bash = """
        # dp completion for bash: add `source <(dp completion bash)` to ~/.bashrc
        _dp_complete() {
            local IFS=$'\n'
            local candidates
            candidates=$(dp "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) || return
            COMPREPLY=($(compgen -W "${candidates}" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _dp_complete dp

        """;

    public const string Zsh = """
        #compdef dp
        # dp completion for zsh: add `source <(dp completion zsh)` to ~/.zshrc (after compinit)
        _dp() {
            local line="${(j: :)words[1,CURRENT]}"
            local -a candidates
            candidates=("${(@f)$(dp "[suggest:${#line}]" "${line}" 2>/dev/null)}")
            compadd -a candidates
        }
        compdef _dp dp

        """;

    public static Command Build(CommandSupport support)
    {
        var shell = new Argument<string>("shell") { Description = "bash or zsh." };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script: source <(dp completion bash)") { shell };
        support.Handle(command, async (run, _) =>
        {
            await run.Context.Output.WriteAsync(run.Value(shell) == "bash" ? Bash : Zsh);
            return ExitCodes.Ok;
        });
        return command;
    }
}
