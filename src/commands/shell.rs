//! `cxm completions SHELL` and `cxm man`: generated from the clap definition in `cli.rs`, so
//! they always match the flags the binary accepts.

use anyhow::Result;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::{err, EXIT_OK};
use crate::fail;
use crate::output::sink::Sink;

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// bash, zsh or fish (also powershell, elvish)
    #[arg(value_name = "SHELL")]
    pub shell: String,
}

#[derive(Args, Debug, Clone)]
pub struct ManArgs {}

fn parse_shell(s: &str) -> Result<Shell> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        "powershell" | "pwsh" => Shell::PowerShell,
        "elvish" => Shell::Elvish,
        _ => {
            fail!("completions: unknown shell {s:?}; use bash, zsh or fish (or powershell, elvish)")
        }
    })
}

/// Print the completion script for SHELL, e.g. `cxm completions bash > ~/.local/share/bash-completion/completions/cxm`.
pub fn completions(a: &CompletionsArgs) -> Result<u8> {
    let shell = parse_shell(&a.shell)?;
    let mut cmd = Cli::command();
    let mut buf: Vec<u8> = Vec::new();
    clap_complete::generate(shell, &mut cmd, "cxm", &mut buf);
    Sink::Stdout.write(&buf)?;
    Ok(EXIT_OK)
}

/// Print the roff man page, e.g. `cxm man > ~/.local/share/man/man1/cxm.1`: one page with
/// the synopsis and options of every subcommand (in a COMMANDS section), rather than
/// clap_mangen's list of `cxm-nps(1)`-style pages that would not be installed.
pub fn man(_a: &ManArgs) -> Result<u8> {
    let render = || -> std::io::Result<Vec<u8>> {
        let mut cmd = Cli::command();
        cmd.build();
        let top = clap_mangen::Man::new(cmd.clone());
        let mut buf: Vec<u8> = Vec::new();
        top.render_title(&mut buf)?;
        let mut part = |f: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>,
                        drop_heading: bool|
         -> std::io::Result<()> {
            let mut b = Vec::new();
            f(&mut b)?;
            for line in String::from_utf8_lossy(&b).lines() {
                // Each render repeats roff's apostrophe preamble; the title already has it.
                if line.starts_with(".ie \\n(.g") || line.starts_with(".el .ds Aq") {
                    continue;
                }
                if drop_heading && line.starts_with(".SH ") {
                    continue;
                }
                buf.extend_from_slice(line.as_bytes());
                buf.push(b'\n');
            }
            Ok(())
        };
        part(&|b| top.render_name_section(b), false)?;
        part(&|b| top.render_synopsis_section(b), false)?;
        part(&|b| top.render_description_section(b), false)?;
        part(&|b| top.render_options_section(b), false)?;
        part(
            &|b| {
                b.extend_from_slice(b".SH COMMANDS\n");
                Ok(())
            },
            false,
        )?;
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let name = format!("cxm {}", sub.get_name());
            part(
                &|b| {
                    b.extend_from_slice(format!(".SS \"{name}\"\n").as_bytes());
                    Ok(())
                },
                false,
            )?;
            let m = clap_mangen::Man::new(sub.clone());
            part(&|b| m.render_description_section(b), true)?;
            part(
                &|b| {
                    b.extend_from_slice(b".PP\n");
                    Ok(())
                },
                false,
            )?;
            part(&|b| m.render_synopsis_section(b), true)?;
            part(&|b| m.render_options_section(b), true)?;
        }
        part(&|b| top.render_version_section(b), false)?;
        Ok(buf)
    };
    let buf = render().map_err(|e| err(format!("cannot render the man page: {e}")))?;
    Sink::Stdout.write(&buf)?;
    Ok(EXIT_OK)
}
