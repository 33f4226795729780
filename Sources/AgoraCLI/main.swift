// Entry point of `agora`; kept thin (see STYLE.md: closures here are main-actor isolated).
import Foundation

FileHandle.standardError.write(Data("agora: no commands yet\n".utf8))
exit(2)
