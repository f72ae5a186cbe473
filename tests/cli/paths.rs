//! File names made from hostile titles, links out of the repository, names that differ only by
//! case: refused or safely renamed, and never a write outside `experiments/`.

use std::path::Path;

use crate::support::TestEnv;

fn new(env: &TestEnv, title: &str) -> crate::support::Run {
    env.xp(&[
        "new",
        "--title",
        title,
        "--hypothesis",
        "h",
        "--metric",
        "m",
        "--baseline",
        "1",
        "--target",
        "2",
    ])
}

/// Whether a file name is one xp may make: `<slug>.yaml`, the slug lower-case ASCII letters,
/// digits and `-`, 1 to 60 long, not starting with `-`, not a name Windows reserves.
fn is_safe_name(name: &str) -> bool {
    let Some(slug) = name.strip_suffix(".yaml") else {
        return false;
    };
    let reserved = ["con", "prn", "aux", "nul"].contains(&slug)
        || (slug.len() == 4
            && (slug.starts_with("com") || slug.starts_with("lpt"))
            && slug.as_bytes()[3].is_ascii_digit());
    (1..=60).contains(&slug.len())
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !reserved
}

/// Every file below the test's temporary directory, outside `experiments/` and `.git/`.
fn elsewhere(env: &TestEnv) -> Vec<String> {
    let top = env.root.parent().unwrap();
    walkdir::WalkDir::new(top)
        .into_iter()
        .filter_entry(|e| {
            let p = e.path();
            !p.starts_with(env.path("experiments")) && !p.starts_with(env.path(".git"))
        })
        .map(|e| e.unwrap())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| e.path().display().to_string())
        .collect()
}

#[test]
fn hostile_titles_become_safe_names_inside_experiments() {
    let env = TestEnv::repo();
    let titles = [
        "..",
        "/",
        "../../etc/passwd",
        "/etc/passwd",
        "C:\\Windows\\system32",
        "CON",
        "nul.yaml",
        "com1",
        "LPT9",
        "a\u{7}b\u{1b}[31mc\u{7f}d",
        "\u{202e}lmth.exe",
        "evil\u{2066}name\u{2069}",
        ".hidden",
        "...",
        "!!!",
        "   -x-   ",
        "~",
        "\u{feff}",
        "日本語のタイトル",
        &"long/../".repeat(25),
    ];
    let before = elsewhere(&env);
    let mut names = Vec::new();
    for title in titles {
        let run = new(&env, title);
        assert_eq!(run.code, 0, "{title:?}: {}", run.stderr);
        let (_, path) = run.stdout.trim().split_once(' ').unwrap();
        let name = path
            .strip_prefix("experiments/")
            .unwrap_or_else(|| panic!("{title:?} landed outside experiments/: {path}"));
        assert!(is_safe_name(name), "{title:?} became {name:?}");
        assert!(env.path(path).is_file());
        assert_eq!(
            env.record(path).title,
            title,
            "the title is kept as written"
        );
        assert_eq!(env.last_commit_paths(), [path]);
        names.push(name.to_owned());
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert_eq!(
        elsewhere(&env),
        before,
        "files appeared outside experiments/"
    );
    let listed = std::fs::read_dir(env.path("experiments")).unwrap().count();
    assert_eq!(listed, titles.len());
    assert_eq!(
        env.ok(&["list", "--format", "ids"]).lines().count(),
        titles.len()
    );
}

#[test]
fn names_that_differ_only_by_case_never_collide() {
    let env = TestEnv::repo();
    env.fixture("valid/checkout-latency.yaml", "experiments/Bar.yaml");
    let mut paths = Vec::new();
    for title in ["Foo", "foo", "FOO", "bar"] {
        let run = new(&env, title);
        assert_eq!(run.code, 0, "{}", run.stderr);
        paths.push(run.stdout.trim().split_once(' ').unwrap().1.to_owned());
    }
    assert_eq!(
        paths,
        [
            "experiments/foo.yaml",
            "experiments/foo-2.yaml",
            "experiments/foo-3.yaml",
            "experiments/bar-2.yaml"
        ]
    );
    assert!(
        env.ok(&["show", "foo-2", "--format", "json"])
            .contains("\"foo\"")
    );
}

/// A directory beside the work tree, outside the repository, holding a valid record.
fn outside(env: &TestEnv) -> std::path::PathBuf {
    let dir = env.root.parent().unwrap().join("outside");
    std::fs::create_dir_all(&dir).unwrap();
    let record = "id: 9b2e4c10-7a3d-4f5e-8b1c-2d3e4f5a6b7c\ntitle: Outside\nhypothesis: h\n\
                  primary_metric: m\nbaseline: 1\ntarget: 2\ndecision_log:\n";
    std::fs::write(dir.join("a.yaml"), record).unwrap();
    dir
}

fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Runs `args`; it must fail naming the link, and leave the outside directory as it was.
fn assert_link_refused(env: &TestEnv, outside: &Path, args: &[&str]) {
    let before = files_in(outside);
    let head = env.git(&["rev-parse", "HEAD"]);
    let run = env.xp(args);
    assert_eq!(run.code, 1, "{args:?}: {}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("is a symbolic link"),
        "{args:?}: {}",
        run.stderr
    );
    assert_eq!(
        files_in(outside),
        before,
        "{args:?} wrote outside the repository"
    );
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head, "{args:?} committed");
}

#[test]
fn a_record_that_is_a_link_out_of_the_repository_is_refused() {
    let env = TestEnv::repo();
    env.new_cta();
    let outside = outside(&env);
    std::os::unix::fs::symlink(outside.join("a.yaml"), env.path("experiments/a.yaml")).unwrap();
    for args in [
        &["note", "a", "x"][..],
        &["update", "a", "--confidence", "5"],
        &["show", "a"],
        &["note", "experiments/a.yaml", "x"],
    ] {
        assert_link_refused(&env, &outside, args);
    }
}

#[test]
fn an_experiments_directory_that_is_a_link_is_refused() {
    let env = TestEnv::repo();
    env.write("README.md", "r\n");
    env.git(&["add", "README.md"]);
    env.git(&["commit", "-q", "-m", "r"]);
    let outside = outside(&env);
    std::os::unix::fs::symlink(&outside, env.path("experiments")).unwrap();
    for args in [
        &["note", "a", "x"][..],
        &["update", "a", "--confidence", "5"],
        &["show", "a"],
        &["list"],
        &["check"],
        &["export"],
        &[
            "new",
            "--title",
            "T",
            "--hypothesis",
            "h",
            "--metric",
            "m",
            "--baseline",
            "1",
            "--target",
            "2",
        ],
    ] {
        assert_link_refused(&env, &outside, args);
    }
}

#[test]
fn a_folder_inside_experiments_that_is_a_link_is_refused() {
    let env = TestEnv::repo();
    env.new_cta();
    let outside = outside(&env);
    std::os::unix::fs::symlink(&outside, env.path("experiments/sub")).unwrap();
    for args in [
        &["note", "experiments/sub/a.yaml", "x"][..],
        &["update", "experiments/sub/a.yaml", "--confidence", "5"],
        &["show", "experiments/sub/a.yaml"],
        &["check", "experiments/sub/a.yaml"],
    ] {
        assert_link_refused(&env, &outside, args);
    }
    // Listing does not follow the link either: only the real record is seen.
    assert_eq!(env.ok(&["list", "--format", "ids"]).lines().count(), 1);
}
