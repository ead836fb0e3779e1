// Package dpkg reads the installed inventory of a Debian-family root or host
// from dpkg's database, giving exactly what dpkg-query -W lists.
//
// Read takes a root as an fs.FS (an image, a chroot, os.DirFS("/")) and
// reads var/lib/dpkg itself; ParseStatus streams one status file; Query runs
// dpkg-query through a run.Runner (locally, over SSH, in a container) and
// ParseQuery reads its output, recorded or live. Read and Query give the
// same packages for the same database: the package's tests compare them on
// this machine's database, on captured Debian 12 and 13 roots, on databases
// that real dpkg left in every state, on public test suites' files, on about
// ninety hand-written malformed databases and on random mutations, each
// time against the real dpkg-query (recorded answers in testdata/dpkg, and
// live runs where dpkg-query is installed).
//
// # What dpkg does, and Read with it
//
// The rules below are those of dpkg 1.21 (lib/dpkg/parse.c, fields.c),
// checked against dpkg-query 1.21.23.
//
//   - Listed packages: every state but not-installed (config-files,
//     half-installed, unpacked, half-configured, triggers-awaited,
//     triggers-pending, installed), each with its State and Want (dpkg's
//     selection: install, hold, deinstall, purge, unknown). A stanza without
//     a Status field is not-installed.
//   - One package per name and architecture: the same name in two
//     architectures is two packages. dpkg refuses a database where a name
//     has two installed instances that are not both Multi-Arch: same, or a
//     mix of the two.
//   - Names are lower-cased, as dpkg stores them. Field names are matched
//     without regard to case; an unknown field name must have two characters
//     at least and appear once.
//   - Stanzas are separated by empty lines; any number of them. A line that
//     starts with white space (space, tab, \v, \f, \r) continues the field
//     before it, so a line holding only spaces does not end a stanza and a
//     CRLF file is read only while it has one stanza (its "\r" lines
//     continue the last field, and the next Package field is a duplicate).
//     Trailing white space of a value, "\r" included, is dropped.
//   - A field needs a colon (white space may come before it); a line that
//     starts with ':', '-', '#' or white space at the start of a stanza is
//     refused. A file must end with a newline; dpkg ignores a single last
//     byte without one, and so does Read. A field with an empty value as
//     the file's last line is refused.
//   - Versions are split as dpkg's parseversion does. A hard error (empty,
//     embedded spaces, a bad epoch, an empty revision) refuses the database;
//     a soft one (a version not starting with a digit, odd characters) is
//     kept as written. An epoch of 0 is not printed.
//   - Status words are dpkg's: the want, error flag (ok or reinstreq) and
//     state, without regard to case, each matched as a prefix of the rest
//     of the value as dpkg does ("installok installed" is read).
//   - Version is required except for half-installed and not-installed
//     packages; Config-Version is refused for installed, triggers-pending
//     and not-installed ones; Triggers-Pending and Triggers-Awaited must
//     agree with the state; Multi-Arch: same needs an architecture other
//     than "all". The obsolete Revision field joins the version.
//   - Relationship fields (Depends and the rest), Conffiles, Essential,
//     Protected, Priority and Multi-Arch are checked with dpkg's grammar;
//     archive fields (Filename, Size, MD5sum) are refused in a status file.
//   - Source is "name" or "name (version)": the name ends at the first space,
//     the version lies between '(' and ')' (or the end). dpkg-query fails on
//     a source version that does not parse, warnings included, and so does
//     Read. Without Source, the source is the package itself.
//   - Priority: dpkg's known names are lower-cased, "unknown" is none, any
//     other value is kept. Section is kept as written. MultiArch is empty
//     for "no".
//   - The journal: files of updates/ named by digits (all of one length, at
//     most ten) are applied in order after the status file, as dpkg does
//     when it was interrupted; a single installed instance is replaced even
//     when the journal switches its architecture, and its section and
//     priority stay.
//   - InstallTime is the modification time of the package's file list,
//     info/NAME.list, or info/NAME:ARCH.list for a Multi-Arch: same package
//     when info/format says 1: what ${db-fsys:Last-Modified} prints (to the
//     second), and what Patch Manager reports as InstalledTime. A missing
//     list gives a zero time.
//
// # Choices
//
// Where dpkg reads a file that is plainly damaged, Read refuses it with a
// *ParseError whose Stricter field is set, rather than guessing:
//
//   - a NUL byte (dpkg silently cuts the value there) or a ^Z byte (dpkg
//     takes it as an end of line, and even as the end of a stanza);
//   - an architecture name that dpkg itself calls invalid (dpkg only warns);
//   - two stanzas for the same name and architecture (dpkg keeps the last
//     one, or refuses, depending on their states);
//   - a line, or an examined field value, longer than WithMaxLine
//     (DefaultMaxLine, 1 MiB; dpkg has no bound).
//
// dpkg does not read status.d. Read reads it after status, as if appended
// to it, skipping files named like control files (PACKAGE.md5sums,
// PACKAGE.preinst, ...); a stanza there without a Status field is taken as
// installed, because the tools that write status.d (distroless images) leave
// Status out.
//
// Read sorts by name, then architecture; dpkg-query sorts an instance of
// its own native architecture first, which depends on the machine it runs
// on. Read does not incorporate pending trigger activations that
// dpkg-trigger left in triggers/Unincorp, which dpkg-query applies in memory
// (they can turn installed packages into triggers-pending until dpkg runs
// next). dpkg's reinstreq flag has no field in patchkit.Package; it is
// dropped.
//
// Every error about malformed input is a *ParseError (Read, ParseStatus)
// or a *QueryError (ParseQuery), both matching patchkit.ErrInvalid, naming
// the file and line or the output record.
package dpkg
