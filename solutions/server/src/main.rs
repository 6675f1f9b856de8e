// LAB: stub
// //! The `lab-server` binary: `lab-server stdio` or `lab-server http`.
// LAB: solution
//! The `solution-server` binary: `solution-server stdio` or `solution-server http`.
// LAB: end

fn main() -> std::process::ExitCode {
    // LAB: stub
    // lab_server::run::main()
    // LAB: solution
    solution_server::run::main()
    // LAB: end
}
