# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_dogebox_global_optspecs
    string join \n socket= json y/yes h/help V/version
end

function __fish_dogebox_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_dogebox_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_dogebox_using_subcommand
    set -l cmd (__fish_dogebox_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c dogebox -n "__fish_dogebox_needs_command" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_needs_command" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_needs_command" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_needs_command" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_needs_command" -s V -l version -d 'Print version'
complete -c dogebox -n "__fish_dogebox_needs_command" -f -a "source" -d 'Add, list and remove pup sources'
complete -c dogebox -n "__fish_dogebox_needs_command" -f -a "store" -d 'List, search and show the pups and versions that the sources offer'
complete -c dogebox -n "__fish_dogebox_needs_command" -f -a "pup" -d 'Install, run and inspect pups'
complete -c dogebox -n "__fish_dogebox_needs_command" -f -a "jobs" -d 'List jobs, or show and follow one'
complete -c dogebox -n "__fish_dogebox_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c dogebox -n "__fish_dogebox_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and not __fish_seen_subcommand_from add list remove help" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and not __fish_seen_subcommand_from add list remove help" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and not __fish_seen_subcommand_from add list remove help" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Add a source: a git repository (https://, ssh://, git@host:path, file:// or the path of a local repository), whose SemVer tags are its versions; or a folder with a dogebox.json index, or a single pup folder'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'List the sources'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Remove a source (refused while an installed pup uses it)'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from add" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from add" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from add" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from list" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from list" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from remove" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from remove" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from remove" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a source: a git repository (https://, ssh://, git@host:path, file:// or the path of a local repository), whose SemVer tags are its versions; or a folder with a dogebox.json index, or a single pup folder'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the sources'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a source (refused while an installed pup uses it)'
complete -c dogebox -n "__fish_dogebox_using_subcommand source; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and not __fish_seen_subcommand_from search show help" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and not __fish_seen_subcommand_from search show help" -l refresh -d 'List every source afresh before listing (git sources fetch their tags again)'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and not __fish_seen_subcommand_from search show help" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and not __fish_seen_subcommand_from search show help" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and not __fish_seen_subcommand_from search show help" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and not __fish_seen_subcommand_from search show help" -f -a "search" -d 'List the pups whose name or short description contains TERM (ignoring case)'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and not __fish_seen_subcommand_from search show help" -f -a "show" -d 'Show one pup of the store: every version with its interfaces, dependencies, config fields and ports'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and not __fish_seen_subcommand_from search show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from search" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from search" -l refresh -d 'List every source afresh first (git sources fetch their tags again)'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from search" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from search" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from search" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from show" -l source -d 'Source to show it from (needed when several sources offer the name)' -r
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from show" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from show" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from show" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "search" -d 'List the pups whose name or short description contains TERM (ignoring case)'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one pup of the store: every version with its interfaces, dependencies, config fields and ports'
complete -c dogebox -n "__fish_dogebox_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "install" -d 'Install a pup from the store; waits until it runs'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "list" -d 'List installed pups'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "show" -d 'Show one pup: state, services, web UIs and, when broken, why'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "logs" -d 'Print a pup\'s logs'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "start" -d 'Start a pup; waits until it runs'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "stop" -d 'Stop a pup'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "restart" -d 'Restart a pup; waits until it runs again'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "uninstall" -d 'Stop and remove a pup; its storage is kept (see purge)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "purge" -d 'Delete an uninstalled pup\'s storage and record (asks for confirmation)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "outdated" -d 'List installed pups that their source offers a newer version of'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "upgrade" -d 'Upgrade a pup to a newer version, keeping its id, storage and config. A new version that does not stay up is rolled back'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "rollback" -d 'Go back to the version the last upgrade replaced, and to the storage snapshot taken before it (asks for confirmation)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "hold" -d 'Hold a pup at its version: it is not offered for upgrade until unheld'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "unhold" -d 'Offer a held pup for upgrade again'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and not __fish_seen_subcommand_from install list show logs start stop restart uninstall purge outdated upgrade rollback hold unhold help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from install" -l version -d 'Version to install (default: the latest stable one)' -r
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from install" -l source -d 'Source to install from (needed when several sources offer the name)' -r
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from install" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from install" -l pre -d 'Without --version: the latest version even if it is a pre-release'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from install" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from install" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from install" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from list" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from list" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from show" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from show" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from show" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from logs" -s n -l lines -d 'Number of past lines to print' -r
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from logs" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from logs" -s f -l follow -d 'Keep printing new lines as they come (Ctrl-C to stop)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from logs" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from logs" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from logs" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from start" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from start" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from start" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from start" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from stop" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from stop" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from stop" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from stop" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from restart" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from restart" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from restart" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from restart" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from restart" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from uninstall" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from uninstall" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from uninstall" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from uninstall" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from purge" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from purge" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from purge" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from purge" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from outdated" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from outdated" -l pre -d 'Count pre-releases as newer versions too'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from outdated" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from outdated" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from outdated" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -l to -d 'Version to upgrade to (default: the newest one its source offers)' -r
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -l health-time -d 'Seconds the new version must keep running to count as healthy (default: the daemon\'s, 30). 0 leaves only the check that every service starts and stays up for a moment' -r
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -l set -d 'A config value for a field the new version adds or requires; repeat for several' -r
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -l pre -d 'Without --to, upgrade to a pre-release when it is the newest version'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -l no-snapshot -d 'Do not snapshot the storage first (a rollback then keeps the storage as it is)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -l downgrade -d 'Allow --to to name a version older than the installed one (\'pup rollback\' goes back to the kept version and its storage instead)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from upgrade" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from rollback" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from rollback" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from rollback" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from rollback" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from hold" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from hold" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from hold" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from hold" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from hold" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from unhold" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from unhold" -l detach -d 'Print the job id and return instead of waiting for the job to end'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from unhold" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from unhold" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from unhold" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "install" -d 'Install a pup from the store; waits until it runs'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "list" -d 'List installed pups'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one pup: state, services, web UIs and, when broken, why'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "logs" -d 'Print a pup\'s logs'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start a pup; waits until it runs'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop a pup'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "restart" -d 'Restart a pup; waits until it runs again'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Stop and remove a pup; its storage is kept (see purge)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Delete an uninstalled pup\'s storage and record (asks for confirmation)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "outdated" -d 'List installed pups that their source offers a newer version of'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "upgrade" -d 'Upgrade a pup to a newer version, keeping its id, storage and config. A new version that does not stay up is rolled back'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "rollback" -d 'Go back to the version the last upgrade replaced, and to the storage snapshot taken before it (asks for confirmation)'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "hold" -d 'Hold a pup at its version: it is not offered for upgrade until unheld'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "unhold" -d 'Offer a held pup for upgrade again'
complete -c dogebox -n "__fish_dogebox_using_subcommand pup; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and not __fish_seen_subcommand_from show watch help" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and not __fish_seen_subcommand_from show watch help" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and not __fish_seen_subcommand_from show watch help" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and not __fish_seen_subcommand_from show watch help" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and not __fish_seen_subcommand_from show watch help" -f -a "show" -d 'Show one job'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and not __fish_seen_subcommand_from show watch help" -f -a "watch" -d 'Follow a job until it ends, with its progress'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and not __fish_seen_subcommand_from show watch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from show" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from show" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from show" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from watch" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from watch" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from watch" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from watch" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one job'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "watch" -d 'Follow a job until it ends, with its progress'
complete -c dogebox -n "__fish_dogebox_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand completions" -l socket -d 'Path of the daemon\'s Unix socket' -r -F
complete -c dogebox -n "__fish_dogebox_using_subcommand completions" -l json -d 'Print JSON on stdout instead of tables and messages'
complete -c dogebox -n "__fish_dogebox_using_subcommand completions" -s y -l yes -d 'Answer yes to confirmations (needed for purge, rollback and source remove without a terminal)'
complete -c dogebox -n "__fish_dogebox_using_subcommand completions" -s h -l help -d 'Print help'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and not __fish_seen_subcommand_from source store pup jobs completions help" -f -a "source" -d 'Add, list and remove pup sources'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and not __fish_seen_subcommand_from source store pup jobs completions help" -f -a "store" -d 'List, search and show the pups and versions that the sources offer'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and not __fish_seen_subcommand_from source store pup jobs completions help" -f -a "pup" -d 'Install, run and inspect pups'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and not __fish_seen_subcommand_from source store pup jobs completions help" -f -a "jobs" -d 'List jobs, or show and follow one'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and not __fish_seen_subcommand_from source store pup jobs completions help" -f -a "completions" -d 'Print shell completions'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and not __fish_seen_subcommand_from source store pup jobs completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from source" -f -a "add" -d 'Add a source: a git repository (https://, ssh://, git@host:path, file:// or the path of a local repository), whose SemVer tags are its versions; or a folder with a dogebox.json index, or a single pup folder'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from source" -f -a "list" -d 'List the sources'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from source" -f -a "remove" -d 'Remove a source (refused while an installed pup uses it)'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from store" -f -a "search" -d 'List the pups whose name or short description contains TERM (ignoring case)'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from store" -f -a "show" -d 'Show one pup of the store: every version with its interfaces, dependencies, config fields and ports'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "install" -d 'Install a pup from the store; waits until it runs'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "list" -d 'List installed pups'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "show" -d 'Show one pup: state, services, web UIs and, when broken, why'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "logs" -d 'Print a pup\'s logs'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "start" -d 'Start a pup; waits until it runs'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "stop" -d 'Stop a pup'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "restart" -d 'Restart a pup; waits until it runs again'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "uninstall" -d 'Stop and remove a pup; its storage is kept (see purge)'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "purge" -d 'Delete an uninstalled pup\'s storage and record (asks for confirmation)'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "outdated" -d 'List installed pups that their source offers a newer version of'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "upgrade" -d 'Upgrade a pup to a newer version, keeping its id, storage and config. A new version that does not stay up is rolled back'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "rollback" -d 'Go back to the version the last upgrade replaced, and to the storage snapshot taken before it (asks for confirmation)'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "hold" -d 'Hold a pup at its version: it is not offered for upgrade until unheld'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from pup" -f -a "unhold" -d 'Offer a held pup for upgrade again'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "show" -d 'Show one job'
complete -c dogebox -n "__fish_dogebox_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "watch" -d 'Follow a job until it ends, with its progress'
