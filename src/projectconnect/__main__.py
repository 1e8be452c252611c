from projectconnect.cli import main

main()
